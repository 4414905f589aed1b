/*! Custos consent banner. Plain JavaScript, no framework.
 * <script src="https://custos.example/consent/static/custos-banner.js" data-lang="en" defer></script>
 * Scripts written as <script type="text/plain" data-purpose="analytics" src="..."> run only once
 * "analytics" is granted; choices persist on the device and are recorded by POST /v1/consent.
 * API: custos.consent.has(purpose), .choices(), .set({purpose: bool}), .acceptAll(), .rejectAll(),
 * .open(), .on(fn); event "custos:consent" on document. Elements with data-custos-open reopen choices.
 */
(function (w, d) {
  "use strict";
  var KEY = "custos.consent";
  var me = d.currentScript;
  var base = (me && me.getAttribute("data-custos-url")) || (me ? new URL(me.src, location.href).origin : "");
  var lang = (me && me.getAttribute("data-lang")) || d.documentElement.lang || navigator.language || "en";
  var gpc = navigator.globalPrivacyControl === true;
  var config = null;
  var listeners = [];
  var root = null;
  var saved = load();

  function load() {
    var value = null;
    try { value = JSON.parse(w.localStorage.getItem(KEY) || "null"); } catch (e) { value = null; }
    if (!value || typeof value !== "object" || typeof value.subject !== "string") {
      value = { subject: newId(), choices: {}, at: {} };
    }
    value.choices = value.choices || {};
    value.at = value.at || {};
    value.wait = value.wait || {};
    return value;
  }

  function store() {
    try { w.localStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* private mode: this page only */ }
    var parts = [];
    for (var k in saved.choices) { parts.push(k + ":" + (saved.choices[k] ? 1 : 0)); }
    d.cookie = "custos_consent=" + encodeURIComponent(parts.join(",")) + ";path=/;max-age=31536000;SameSite=Lax";
  }

  function newId() {
    if (w.crypto && w.crypto.randomUUID) { return w.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    w.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function optOuts() {
    var keys = [];
    if (config) { config.purposes.forEach(function (p) { if (p.opt_out) { keys.push(p.key); } }); }
    return keys;
  }

  function forced(key) {
    return (gpc || (config && config.honor_dnt && navigator.doNotTrack === "1")) && optOuts().indexOf(key) >= 0;
  }

  function has(purpose) {
    return !forced(purpose) && saved.choices[purpose] === true;
  }

  function emit(changed) {
    var detail = { choices: api.choices(), changed: changed, gpc: gpc };
    listeners.forEach(function (fn) { try { fn(detail); } catch (e) { /* a listener's error stays its own */ } });
    d.dispatchEvent(new CustomEvent("custos:consent", { detail: detail }));
  }

  function activate() {
    var nodes = d.querySelectorAll("[data-purpose]");
    Array.prototype.forEach.call(nodes, function (node) {
      var purpose = node.getAttribute("data-purpose");
      if (node.hasAttribute("data-custos-done") || !has(purpose)) { return; }
      node.setAttribute("data-custos-done", "");
      if (node.tagName === "SCRIPT") {
        if (node.type !== "text/plain") { return; }
        var script = d.createElement("script");
        for (var i = 0; i < node.attributes.length; i++) {
          var a = node.attributes[i];
          if (a.name !== "type" && a.name !== "data-src") { script.setAttribute(a.name, a.value); }
        }
        script.type = node.getAttribute("data-type") || "text/javascript";
        var src = node.getAttribute("data-src") || node.getAttribute("src");
        if (src) { script.src = src; } else { script.text = node.text; }
        node.parentNode.replaceChild(script, node);
      } else if (node.hasAttribute("data-src")) {
        node.setAttribute("src", node.getAttribute("data-src"));
      }
    });
  }

  function send(choices) {
    var body = { subject: saved.subject, choices: choices, method: "banner", gpc: gpc };
    if (config) { body.notice_version = config.notice_version; }
    return w.fetch(base + "/v1/consent", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      keepalive: true, credentials: "omit"
    }).catch(function () { return null; });
  }

  function set(choices) {
    var changed = [];
    var now = new Date().toISOString();
    for (var k in choices) {
      var value = forced(k) ? false : choices[k] === true;
      if (saved.choices[k] !== value) { changed.push(k); }
      saved.choices[k] = value;
      saved.at[k] = now;
      if (!value && config && optOuts().indexOf(k) >= 0) { waitFrom(k, now); }
    }
    store();
    send(choices);
    activate();
    close();
    emit(changed);
  }

  function all(value) {
    var choices = {};
    config.purposes.forEach(function (p) { choices[p.key] = value && !forced(p.key); });
    set(choices);
  }

  function undecided() {
    return config.purposes.some(function (p) { return !forced(p.key) && typeof saved.choices[p.key] !== "boolean"; });
  }

  function el(tag, attrs, text) {
    var node = d.createElement(tag);
    for (var k in attrs) { node.setAttribute(k, attrs[k]); }
    if (text) { node.textContent = text; }
    return node;
  }

  function button(label, action, name) {
    var b = el("button", { type: "button", "class": "custos-btn", "data-action": name }, label);
    b.addEventListener("click", action);
    return b;
  }

  function close() {
    if (root) { root.parentNode.removeChild(root); root = null; }
  }

  function open(layer) {
    if (!config) { return; }
    close();
    var t = config.texts;
    root = el("div", { id: "custos-banner", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "custos-title", "aria-describedby": "custos-body", "class": "custos-banner" });
    root.appendChild(el("h2", { id: "custos-title" }, t.title));
    root.appendChild(el("p", { id: "custos-body" }, t.body));
    if (gpc) {
      var honored = el("p", { role: "status", "class": "custos-gpc", "data-custos-gpc": "" });
      honored.appendChild(el("strong", {}, t.gpc_honored));
      honored.appendChild(d.createTextNode(" " + t.gpc_detail));
      root.appendChild(honored);
    }
    var choices = el("div", { "class": "custos-purposes", role: "group", "aria-label": t.choose });
    choices.hidden = layer !== 2;
    config.purposes.forEach(function (p) {
      var id = "custos-p-" + p.key;
      var row = el("div", { "class": "custos-purpose" });
      var box = el("input", { type: "checkbox", role: "switch", id: id, "data-purpose-key": p.key,
        "aria-describedby": id + "-d" });
      box.checked = has(p.key);
      if (forced(p.key)) { box.disabled = true; }
      row.appendChild(box);
      row.appendChild(el("label", { "for": id }, p.name));
      row.appendChild(el("p", { id: id + "-d", "class": "custos-desc" }, p.description));
      choices.appendChild(row);
    });
    root.appendChild(choices);
    var actions = el("div", { "class": "custos-actions" });
    actions.appendChild(button(t.accept_all, function () { all(true); }, "accept"));
    actions.appendChild(button(t.reject_all, function () { all(false); }, "reject"));
    var choose = button(t.choose, function () {
      if (choices.hidden) { choices.hidden = false; choose.textContent = t.save; choices.querySelector("input").focus(); return; }
      var picked = {};
      Array.prototype.forEach.call(choices.querySelectorAll("input"), function (box) {
        picked[box.getAttribute("data-purpose-key")] = box.checked;
      });
      set(picked);
    }, "choose");
    if (layer === 2) { choose.textContent = t.save; }
    actions.appendChild(choose);
    root.appendChild(actions);
    var notice = el("a", { href: config.notice_url, "class": "custos-notice" }, t.notice);
    root.appendChild(notice);
    root.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !undecided()) { close(); }
    });
    d.body.appendChild(root);
    root.querySelector(".custos-btn").focus();
  }

  function reopenLink() {
    if (d.getElementById("custos-reopen")) { return; }
    var link = el("button", { type: "button", id: "custos-reopen", "class": "custos-reopen" }, config.texts.reopen);
    link.addEventListener("click", function () { open(2); });
    d.body.appendChild(link);
  }

  function adopt(server) {
    // Choices made on another device of the same signed-in person, or newer than ours, win.
    var changed = [];
    for (var k in server.choices) {
      var s = server.choices[k];
      if (!saved.at[k] || s.at > saved.at[k]) {
        if (saved.choices[k] !== s.granted) { changed.push(k); }
        saved.choices[k] = s.granted;
        saved.at[k] = s.at;
      }
    }
    var wait = server.ask_again_after || {};
    for (var purpose in wait) {
      if (!saved.wait[purpose] || Date.parse(wait[purpose]) > Date.parse(saved.wait[purpose])) {
        saved.wait[purpose] = wait[purpose];
      }
    }
    store();
    if (changed.length) { activate(); emit(changed); }
  }

  // After an opt-out, nothing may ask to opt back in for 12 months (CCPA 1798.135(c)(4)).
  function waitFrom(k, at) {
    saved.wait[k] = new Date(Date.parse(at) + (config.reask_days || 365) * 864e5).toISOString();
  }

  function mayAsk(k) {
    return !forced(k) && !(saved.wait[k] && Date.parse(saved.wait[k]) > Date.now());
  }

  function start() {
    var stylesheet = el("link", { rel: "stylesheet", href: base + "/consent/static/custos-banner.css" });
    d.head.appendChild(stylesheet);
    d.addEventListener("click", function (e) {
      var target = e.target && e.target.closest && e.target.closest("[data-custos-open]");
      if (target) { e.preventDefault(); open(2); }
    });
    activate();
    w.fetch(base + "/v1/consent/config?lang=" + encodeURIComponent(lang), { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (c) {
        config = c;
        if (gpc) {
          optOuts().forEach(function (k) { saved.choices[k] = false; });
          store();
          if (!saved.gpc) { saved.gpc = true; store(); send({}); }
        }
        activate();
        reopenLink();
        if (undecided()) { open(1); }
        return w.fetch(base + "/v1/consent?subject=" + encodeURIComponent(saved.subject), { credentials: "omit" });
      })
      .then(function (r) { return r && r.ok ? r.json() : null; })
      .then(function (server) { if (server) { adopt(server); } })
      .catch(function () { /* offline: local choices still hold */ });
  }

  var api = {
    has: has,
    choices: function () { var c = {}; for (var k in saved.choices) { c[k] = has(k); } return c; },
    set: set,
    acceptAll: function () { all(true); },
    rejectAll: function () { all(false); },
    open: function () { open(2); },
    on: function (fn) { listeners.push(fn); },
    subject: function () { return saved.subject; },
    mayAsk: mayAsk,
    gpc: gpc
  };
  w.custos = w.custos || {};
  w.custos.consent = api;
  if (d.readyState === "loading") { d.addEventListener("DOMContentLoaded", start); } else { start(); }
})(window, document);
