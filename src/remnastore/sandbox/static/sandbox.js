// The sandbox chat page: talks to the sandbox's JSON API, which drives the Telegram emulator.
"use strict";

const $ = (selector) => document.querySelector(selector);
// Who this browser last chatted as: a tab the payment page sends back to opens that chat again.
const REMEMBERED = "remnastore-sandbox-chat";
const state = {
  identities: [],
  current: null,
  version: null,
  poll: null,
  rendered: new Map(),
  shown: 0,
  seenNotices: new Set(),
  firstSnapshot: true,
};

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function toast(text, alert) {
  const node = $("#toast");
  node.textContent = text;
  node.className = alert ? "alert" : "";
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, alert ? 6000 : 2500);
}

// -- identities -----------------------------------------------------------------------------------------
function renderIdentities() {
  const box = $("#identities");
  box.replaceChildren();
  for (const identity of state.identities) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.userId = String(identity.user_id);
    button.className = identity.user_id === state.current?.user_id ? "active" : "";
    button.append(identity.name);
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = `${identity.admin ? "admin" : "customer"} · ${identity.language} · ${identity.user_id}`;
    button.appendChild(role);
    button.addEventListener("click", () => choose(identity));
    const person = document.createElement("div");
    person.className = "person";
    person.appendChild(button);
    if (!identity.admin) {
      const cabinet = document.createElement("a");
      cabinet.className = "cabinet-link";
      cabinet.href = "#";
      cabinet.textContent = "cabinet ↗";
      cabinet.title = `open ${identity.name}'s customer cabinet in a new tab (signed in by a personal link)`;
      cabinet.dataset.userId = String(identity.user_id);
      cabinet.addEventListener("click", (event) => {
        event.preventDefault();
        openCabinet(identity);
      });
      person.appendChild(cabinet);
    }
    box.appendChild(person);
  }
}

async function openCabinet(identity) {
  const answer = await api("POST", `/api/identities/${identity.user_id}/cabinet`, {});
  window.open(answer.url, "_blank", "noopener");
}

function remember(identity) {
  try {
    localStorage.setItem(REMEMBERED, String(identity.user_id));
  } catch (_error) {
    // storage switched off: a returning tab opens the first customer
  }
}

function remembered() {
  const wanted = new URLSearchParams(location.search).get("chat");
  let stored = null;
  try {
    stored = localStorage.getItem(REMEMBERED);
  } catch (_error) {
    stored = null;
  }
  for (const id of [wanted, stored]) {
    const found = state.identities.find((identity) => String(identity.user_id) === id);
    if (found) return found;
  }
  return null;
}

function scrollToEnd() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
}

function choose(identity) {
  state.current = identity;
  remember(identity);
  state.version = null;
  state.rendered = new Map();
  state.shown = 0;
  state.firstSnapshot = true;
  $("#messages").replaceChildren();
  $("#chat-identity").textContent = `you are ${identity.name} (${identity.admin ? "admin" : "customer"}, ${identity.user_id})`;
  renderIdentities();
  if (state.poll) state.poll.abort();
  pollChat();
  refreshPanel();
}

async function newCustomer() {
  const identity = await api("POST", "/api/identities", { language: $("#new-language").value });
  state.identities.push(identity);
  choose(identity);
}

// -- chat ------------------------------------------------------------------------------------------------
async function pollChat() {
  const controller = new AbortController();
  state.poll = controller;
  const userId = state.current.user_id;
  while (!controller.signal.aborted) {
    try {
      const version = state.version ? `&version=${state.version}` : "";
      const response = await fetch(`/api/chats/${userId}?wait=20${version}`, { signal: controller.signal });
      if (!response.ok) throw new Error(String(response.status));
      const snapshot = await response.json();
      if (controller.signal.aborted) return;
      if (snapshot.version !== state.version) {
        state.version = snapshot.version;
        renderChat(snapshot);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function renderChat(snapshot) {
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const seen = new Set();
  let previous = null;
  for (const message of snapshot.messages) {
    seen.add(message.id);
    const key = JSON.stringify(message);
    const old = state.rendered.get(message.id);
    let node = old?.node;
    if (!old || old.key !== key) {
      const fresh = messageNode(message);
      if (node) node.replaceWith(fresh);
      node = fresh;
      state.rendered.set(message.id, { key, node });
    }
    const wanted = previous ? previous.nextSibling : box.firstChild;
    if (wanted !== node) box.insertBefore(node, wanted);
    previous = node;
  }
  for (const [id, entry] of state.rendered) {
    if (!seen.has(id)) {
      entry.node.remove();
      state.rendered.delete(id);
    }
  }
  renderReplyKeyboard(snapshot.reply_keyboard);
  renderCommands(snapshot.commands);
  for (const notice of snapshot.notices) {
    if (state.seenNotices.has(notice.id)) continue;
    state.seenNotices.add(notice.id);
    if (!state.firstSnapshot) toast(notice.text, notice.alert);
  }
  state.firstSnapshot = false;
  const grew = snapshot.messages.length > (state.shown || 0);
  state.shown = snapshot.messages.length;
  if (atBottom || grew) scrollToEnd();
}

function messageNode(message) {
  const wrapper = document.createElement("div");
  wrapper.className = `message ${message.from_bot ? "bot" : "user"}`;
  wrapper.dataset.messageId = String(message.id);
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.media) bubble.appendChild(mediaNode(message.media));
  if (message.invoice) bubble.appendChild(invoiceNode(message.invoice));
  if (message.paid) {
    const paid = document.createElement("div");
    paid.className = "muted";
    paid.textContent = "✅ payment sent";
    bubble.appendChild(paid);
  }
  if (message.text) {
    const text = document.createElement("div");
    text.className = "text";
    text.appendChild(window.renderFormatted(message.text, message.entities, sendText));
    bubble.appendChild(text);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(message.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  meta.textContent = message.edited ? `edited ${time}` : time;
  bubble.appendChild(meta);
  wrapper.appendChild(bubble);
  if (message.buttons.length) wrapper.appendChild(keyboardNode(message));
  return wrapper;
}

function mediaNode(media) {
  if (media.kind === "photo") {
    const image = document.createElement("img");
    image.alt = "photo";
    // the photo gets its height only once loaded: keep the chat scrolled to its end if it was there
    image.addEventListener("load", () => {
      const box = $("#messages");
      const bubble = image.closest(".message");
      const last = bubble && !bubble.nextElementSibling;
      if (last || box.scrollHeight - box.scrollTop - box.clientHeight < image.height + 80) scrollToEnd();
    });
    image.src = media.url;
    return image;
  }
  const box = document.createElement("div");
  box.className = "document";
  const icon = document.createElement("div");
  icon.className = "icon";
  icon.textContent = "⬇";
  const anchor = document.createElement("a");
  anchor.href = media.url;
  anchor.download = media.name || "file";
  anchor.textContent = media.name || media.kind;
  box.append(icon, anchor);
  return box;
}

function invoiceNode(invoice) {
  const box = document.createElement("div");
  box.className = "invoice";
  const title = document.createElement("div");
  title.className = "amount";
  title.textContent = `${invoice.title} — ${invoice.total_amount} ${invoice.currency === "XTR" ? "⭐" : invoice.currency}`;
  const description = document.createElement("div");
  description.textContent = invoice.description;
  box.append(title, description);
  return box;
}

function keyboardNode(message) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const row of message.buttons) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const button of row) {
      const node = document.createElement("button");
      node.type = "button";
      node.textContent = button.text;
      node.dataset.kind = button.kind;
      if (button.kind === "url") {
        const mark = document.createElement("span");
        mark.className = "kind";
        mark.textContent = "↗";
        node.appendChild(mark);
      }
      node.addEventListener("click", () => pressButton(message, button));
      line.appendChild(node);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

async function pressButton(message, button) {
  const userId = state.current.user_id;
  try {
    if (button.kind === "callback") {
      await api("POST", `/api/chats/${userId}/callbacks`, { message_id: message.id, data: button.data });
    } else if (button.kind === "url") {
      const url = window.safeUrl(button.url);
      remember(state.current); // the payer, whom the payment page's return tab should show
      if (url) window.open(url, "_blank", "noopener");
      else toast(`Not opened: ${button.url}`);
    } else if (button.kind === "invoice_link") {
      const invoice = await api("GET", `/api/invoices?link=${encodeURIComponent(button.url)}`);
      if (await confirmInvoice(invoice)) await pay({ link: button.url });
    } else if (button.kind === "pay") {
      if (await confirmInvoice(message.invoice)) await pay({ message_id: message.id });
    } else if (button.kind === "copy") {
      await navigator.clipboard?.writeText(button.data);
      toast("Copied");
    } else {
      toast("This kind of button does nothing in the sandbox");
    }
  } catch (error) {
    toast(`Failed: ${error.message}`);
  }
}

function confirmInvoice(invoice) {
  const dialog = $("#invoice-dialog");
  $("#invoice-title").textContent = invoice.title;
  $("#invoice-description").textContent = invoice.description;
  const unit = invoice.currency === "XTR" ? "⭐" : invoice.currency;
  $("#invoice-amount").textContent = `${invoice.total_amount} ${unit}`;
  $("#invoice-pay").textContent = `Pay ${invoice.total_amount} ${unit}`;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "pay"), { once: true });
    dialog.showModal();
  });
}

async function pay(target) {
  const result = await api("POST", `/api/chats/${state.current.user_id}/payments`, target);
  toast(result.approved ? "Payment sent" : `Payment refused: ${result.error || "by the bot"}`);
}

function renderReplyKeyboard(rows) {
  const box = $("#reply-keyboard");
  box.replaceChildren();
  box.hidden = !rows || !rows.length;
  for (const row of rows || []) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const text of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.addEventListener("click", () => sendText(text));
      line.appendChild(button);
    }
    box.appendChild(line);
  }
}

function renderCommands(commands) {
  const menu = $("#commands-menu");
  menu.replaceChildren();
  for (const command of commands) {
    const button = document.createElement("button");
    button.type = "button";
    const name = document.createElement("b");
    name.textContent = `/${command.command}`;
    button.append(name, ` — ${command.description}`);
    button.addEventListener("click", () => {
      menu.hidden = true;
      sendText(`/${command.command}`);
    });
    menu.appendChild(button);
  }
}

async function sendText(text) {
  if (!state.current || !text.trim()) return;
  try {
    await api("POST", `/api/chats/${state.current.user_id}/messages`, { text });
  } catch (error) {
    toast(`Not sent: ${error.message}`);
  }
}

// -- panel -----------------------------------------------------------------------------------------------
function gigabytes(bytes) {
  return `${(bytes / 1024 ** 3).toFixed(bytes ? 2 : 0)} GB`;
}

async function refreshPanel() {
  let data;
  try {
    data = await api("GET", "/api/panel/users");
  } catch (_error) {
    return;
  }
  const body = $("#panel-users tbody");
  body.replaceChildren();
  for (const user of data.users) {
    const row = document.createElement("tr");
    row.dataset.telegramId = String(user.telegram_id ?? "");
    if (state.current && user.telegram_id === state.current.user_id) row.className = "mine";
    const cells = [
      [user.username, `telegram ${user.telegram_id ?? "—"}`],
      [user.status],
      [user.expire_at ?? "—"],
      [`${gigabytes(user.traffic_used_bytes)} / ${user.traffic_limit_bytes ? gigabytes(user.traffic_limit_bytes) : "∞"}`],
      [`${user.devices} / ${user.device_limit ?? "∞"}`],
    ];
    const names = ["user", "status", "expire", "traffic", "devices"];
    cells.forEach((lines, index) => {
      const cell = document.createElement("td");
      cell.className = names[index];
      lines.forEach((line, position) => {
        if (position) {
          const small = document.createElement("div");
          small.className = "muted";
          small.textContent = line;
          cell.appendChild(small);
        } else {
          cell.append(line);
        }
      });
      row.appendChild(cell);
    });
    body.appendChild(row);
  }
  $("#panel-empty").hidden = data.users.length > 0;
}

// -- start -----------------------------------------------------------------------------------------------
async function main() {
  const info = await api("GET", "/api/identities");
  $("#bot-name").textContent = `${info.bot.name} · @${info.bot.username}`;
  state.identities = info.identities;
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#input");
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  $("#commands-button").addEventListener("click", () => {
    $("#commands-menu").hidden = !$("#commands-menu").hidden;
  });
  $("#new-customer-button").addEventListener("click", () => newCustomer().catch((e) => toast(e.message)));
  setInterval(refreshPanel, 1500);
  choose(remembered() || state.identities.find((identity) => !identity.admin) || state.identities[0]);
  document.body.dataset.ready = "true";
}

async function start() {
  for (;;) {
    try {
      return await main();
    } catch (error) {
      toast(`The sandbox is not answering: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

start();
