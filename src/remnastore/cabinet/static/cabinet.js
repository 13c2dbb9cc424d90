// The cabinet's little JavaScript: copy buttons, the sign-in link's token, the Mini App sign-in and the
// payment status after returning from a payment page. No inline scripts (the page's CSP forbids them).
"use strict";

function copyButtons() {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch (error) {
        document.execCommand("copy");
      }
      const label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });
}

// The sign-in token travels in the address's fragment (never sent to a server, never logged); it is
// posted only when the person presses "Sign in", so a link preview cannot use it up.
function linkLogin() {
  const form = document.getElementById("link-login");
  const token = window.location.hash.slice(1);
  if (!form || !token) return;
  document.getElementById("link-token").value = token;
  history.replaceState(null, "", window.location.pathname);
  form.hidden = false;
  document.getElementById("login-help").hidden = true;
}

function telegramInitData() {
  const webApp = window.Telegram && window.Telegram.WebApp;
  if (webApp && webApp.initData) return webApp.initData;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  return fragment.get("tgWebAppData") || "";
}

async function miniAppLogin() {
  const box = document.getElementById("mini-app");
  if (!box) return;
  const refused = () => { document.getElementById("mini-app-refused").hidden = false; };
  const initData = telegramInitData();
  if (!initData) { refused(); return; }
  try {
    const response = await fetch(box.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ init_data: initData }),
    });
    const answer = await response.json();
    if (response.ok && answer.ok) { window.location.replace(answer.next); return; }
  } catch (error) { /* shown below */ }
  refused();
}

// Telegram Stars: paid in Telegram's own payment sheet, so offered only inside the Mini App. The form is
// posted for the invoice link, which Telegram.WebApp.openInvoice shows; then the order is followed.
function starsInMiniApp() {
  const webApp = window.Telegram && window.Telegram.WebApp;
  if (!webApp || !webApp.initData || !webApp.openInvoice) return;
  document.querySelectorAll("form.in-telegram").forEach((form) => {
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: new URLSearchParams(new FormData(form)),
      });
      if (!response.ok) { window.location.reload(); return; }
      const answer = await response.json();
      webApp.openInvoice(answer.invoice, (status) => {
        if (status === "paid" || status === "pending") window.location.assign(answer.next);
      });
    });
  });
}

function watchOrder() {
  const box = document.getElementById("order");
  if (!box) return;
  const status = document.getElementById("order-status");
  const expiry = document.getElementById("order-expiry");
  let delay = 1500;
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const answer = await response.json();
        status.textContent = answer.text;
        box.dataset.status = answer.status;
        if (answer.expiry_text) expiry.textContent = answer.expiry_text;
        if (answer.balance_text) expiry.textContent = answer.balance_text;
        if (answer.addon_text) expiry.textContent = answer.addon_text;
        if (answer.done) return;
      }
    } catch (error) { /* try again */ }
    delay = Math.min(delay * 1.3, 10000);
    setTimeout(poll, delay);
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  copyButtons();
  linkLogin();
  miniAppLogin();
  starsInMiniApp();
  watchOrder();
});
