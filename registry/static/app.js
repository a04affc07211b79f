// The pages' script: search-as-you-type selects (Tom Select) and htmx glue (the console's
// charts are drawn by js/console-charts.js).
// Loaded from our own origin; no inline code, so a strict Content-Security-Policy holds.
"use strict";

function csrfToken() {
  const headers = document.body.getAttribute("hx-headers");
  return headers ? JSON.parse(headers)["X-CSRFToken"] : "";
}

const MIN_NEW_NAME = 4;  // characters of a name offered for adding to the registry

// <select data-search-url="/clerk/search/organizations" [data-create-url=...] [multiple]>
function searchSelect(element) {
  if (element.tomselect) return;
  const createUrl = element.dataset.createUrl;
  const settings = {
    valueField: "value", labelField: "text", searchField: ["text"],
    maxOptions: 30, loadThrottle: 250, preload: false,
    plugins: element.multiple ? ["remove_button"] : [],
    load(query, callback) {
      if (!query.length) return callback();
      fetch(element.dataset.searchUrl + "?q=" + encodeURIComponent(query),
            { headers: { Accept: "application/json" } })
        .then((response) => response.json()).then(callback).catch(() => callback());
    },
    // A multiple picker empties its text box once an option is chosen: the next word typed
    // is a new search, not the old one continued ("H04WG06F").
    onItemAdd() {
      if (element.multiple) { this.setTextboxValue(""); this.refreshOptions(false); }
    },
    render: {
      no_results: () => `<div class="no-results">${element.dataset.noResults || "—"}</div>`,
      option_create: (data, escape) =>
        `<div class="create">${escape(element.dataset.createLabel || "+")} <strong>${escape(data.input)}</strong></div>`,
    },
  };
  if (createUrl) {
    // Only a full name is offered for adding (a fragment such as 华为 typed on the way to
    // 华为技术有限公司 must not become an organization by pressing Enter).
    settings.createFilter = (input) => input.trim().length >= MIN_NEW_NAME;
    settings.create = (input, callback) => {
      const body = new URLSearchParams({ name: input });
      fetch(createUrl, { method: "POST", body,
                         headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" } })
        .then((response) => response.json().then((body) => (response.ok ? body : Promise.reject(body))))
        .then((created) => callback(created))
        .catch((refused) => { callback(); showRefusal(element, refused); });
    };
  }
  const select = new TomSelect(element, settings);
  // Tom Select hides the <select>; keep the invalid mark and error text tied to what is seen.
  if (element.getAttribute("aria-invalid") === "true") select.wrapper.classList.add("invalid");
  const described = element.getAttribute("aria-describedby");
  if (described) select.control_input.setAttribute("aria-describedby", described);
}

// A refused inline creation says why, beside the picker (the server's message, translated).
function showRefusal(element, refused) {
  const errors = refused && refused.errors && refused.errors.json;
  const reasons = errors ? Object.values(errors).flat() : [];
  const text = reasons.length ? reasons.join(" ") : (refused && refused.message) || "";
  let note = element.parentElement.querySelector(".create-refused");
  if (!note) {
    note = document.createElement("small");
    note.className = "field-error create-refused";
    note.setAttribute("role", "alert");
    element.parentElement.appendChild(note);
  }
  note.textContent = text;
}

// Buttons that add one more row to a list of inputs: <button data-add-row="parties">
function addRow(button) {
  const list = document.getElementById(button.dataset.addRow);
  const template = document.getElementById(button.dataset.addRow + "-template");
  const index = list.querySelectorAll(":scope > .row").length;
  const html = template.innerHTML.replaceAll("__index__", String(index));
  list.insertAdjacentHTML("beforeend", html);
  list.lastElementChild.querySelectorAll("select[data-search-url]").forEach(searchSelect);
}

// <form data-confirm="Are you sure?">: ask before a destructive post.
function confirmSubmit(event) {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
}

// Inputs marked data-committed-input fire "committed-input" only for committed text: never
// for the pinyin an input method is still composing (htmx filters would need eval).
function committedInput(event) {
  const input = event.target;
  if (!input.matches || !input.matches("[data-committed-input]") || event.isComposing) return;
  input.dispatchEvent(new CustomEvent("committed-input", { bubbles: true }));
}

// <small id="number-check" data-check-for="number">: where a live check answers for the input
// as it is now. Once it has, the message a post gave for an earlier value is stale: remove it,
// and let the answer alone mark the input invalid (it stayed red beside "a valid case number").
function checked(target) {
  const input = document.getElementById(target.dataset.checkFor);
  if (!input) return;
  const stale = document.getElementById(input.id + "-error");
  if (stale) stale.remove();
  if (target.querySelector("[role=alert]")) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  input.setAttribute("aria-describedby", target.id);
}

function setUp(root) {
  root.querySelectorAll("select[data-search-url]").forEach(searchSelect);
}

document.addEventListener("DOMContentLoaded", () => {
  setUp(document);
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-add-row]");
    if (button) { event.preventDefault(); addRow(button); }
  });
  document.body.addEventListener("submit", confirmSubmit, true);
  document.body.addEventListener("input", committedInput);
  document.body.addEventListener("compositionend", committedInput);
  document.body.addEventListener("htmx:afterSwap", (event) => {
    setUp(event.target);
    if (event.target.dataset.checkFor) checked(event.target);
  });
});

// <input readonly data-select-on-focus>: one click selects the whole value (a feed address).
document.addEventListener("focusin", (event) => {
  if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
    event.target.select();
  }
});
