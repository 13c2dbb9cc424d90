// Telegram formatting for the sandbox chat: text plus message entities -> DOM nodes.
// Only text nodes and a fixed set of elements are created (never innerHTML), and links are kept only for
// http(s), tg and mailto addresses, so nothing a bot sends can run script in this page.
"use strict";

const SAFE_PROTOCOLS = new Set(["http:", "https:", "tg:", "mailto:"]);

function safeUrl(value) {
  try {
    const url = new URL(value);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
  } catch (_error) {
    return null;
  }
}

function link(href) {
  const url = safeUrl(href);
  if (url === null) return document.createElement("span");
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  return anchor;
}

// The element for one entity; `inner` is where the entity's own text and nested entities go.
function entityElement(entity, text, onCommand) {
  const simple = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code" };
  if (simple[entity.type]) {
    const node = document.createElement(simple[entity.type]);
    return { outer: node, inner: node };
  }
  switch (entity.type) {
    case "pre": {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      pre.appendChild(code);
      return { outer: pre, inner: code };
    }
    case "text_link": {
      const node = link(entity.url || "");
      return { outer: node, inner: node };
    }
    case "url": {
      const node = link(/^[a-z]+:/i.test(text) ? text : `http://${text}`);
      return { outer: node, inner: node };
    }
    case "spoiler": {
      const node = document.createElement("span");
      node.className = "spoiler";
      node.addEventListener("click", () => node.classList.add("revealed"));
      return { outer: node, inner: node };
    }
    case "blockquote":
    case "expandable_blockquote": {
      const node = document.createElement("blockquote");
      return { outer: node, inner: node };
    }
    case "bot_command": {
      const node = document.createElement("span");
      node.className = "command";
      if (onCommand) node.addEventListener("click", () => onCommand(text));
      return { outer: node, inner: node };
    }
    default: {
      const node = document.createElement("span");
      node.className = `entity-${String(entity.type).replace(/[^a-z_]/g, "")}`;
      return { outer: node, inner: node };
    }
  }
}

function appendText(parent, text) {
  if (text) parent.appendChild(document.createTextNode(text));
}

// Entities never overlap partially (Telegram's rule): each one is either inside another or apart from it.
function build(text, entities, start, end, parent, onCommand) {
  let position = start;
  let index = 0;
  while (index < entities.length) {
    const entity = entities[index];
    const entityEnd = entity.offset + entity.length;
    if (entity.offset < position || entityEnd > end) {
      index += 1;
      continue;
    }
    appendText(parent, text.slice(position, entity.offset));
    const children = [];
    let next = index + 1;
    while (next < entities.length && entities[next].offset < entityEnd) {
      if (entities[next].offset + entities[next].length <= entityEnd) children.push(entities[next]);
      next += 1;
    }
    const element = entityElement(entity, text.slice(entity.offset, entityEnd), onCommand);
    build(text, children, entity.offset, entityEnd, element.inner, onCommand);
    parent.appendChild(element.outer);
    position = entityEnd;
    index = next;
  }
  appendText(parent, text.slice(position, end));
}

// JavaScript strings are UTF-16, exactly the unit Telegram's entity offsets count in.
function renderFormatted(text, entities, onCommand) {
  const fragment = document.createDocumentFragment();
  const sorted = (entities || [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .slice()
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  build(text || "", sorted, 0, (text || "").length, fragment, onCommand);
  return fragment;
}

window.renderFormatted = renderFormatted;
window.safeUrl = safeUrl;
