/*! Custos consent banner. Plain JavaScript, no framework.
 * <script src="https://custos.example/consent/static/custos-banner.js" data-lang="en" defer></script>
 * data-age-band="under_13" | "13_15" | "16_plus" (or custos.consent.setAgeBand(band)): under 16, a grant of
 * sale or sharing waits for a second step, confirmed by the person (13 to 15) or a parent (under 13).
 * Scripts written as <script type="text/plain" data-purpose="analytics" src="..."> run only once
 * "analytics" is granted; choices persist on the device and are recorded by POST /v1/consent.
 * API: custos.consent.has(purpose), .choices(), .set({purpose: bool}), .acceptAll(), .rejectAll(),
 * .open(), .on(fn), .setAgeBand(band); event "custos:consent" on document. Elements with data-custos-open reopen choices.
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
  var ageBand = band(me && me.getAttribute("data-age-band")) || band(saved.age_band);
  var step = null;
  var quiet = 0;

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

  function band(value) {
    return /^(under_13|13_15|16_plus)$/.test(value) ? value : null;
  }

  function confirmer() {
    return { under_13: "parent", "13_15": "self" }[ageBand];
  }

  function store() {
    saved.age_band = ageBand;
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

  function send(choices, extra) {
    var body = { subject: saved.subject, choices: choices, method: "banner", gpc: gpc };
    if (config) { body.notice_version = config.notice_version; }
    if (ageBand) { body.age_band = ageBand; }
    for (var k in extra) { body[k] = extra[k]; }
    return w.fetch(base + "/v1/consent", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      keepalive: true, credentials: "omit"
    }).catch(function () { return null; });
  }

  function read(response) {
    return response && response.ok ? response.json() : null;
  }

  function apply(k, value, at, changed) {
    if (saved.choices[k] !== value) { changed.push(k); }
    saved.choices[k] = value;
    saved.at[k] = at;
    if (!value && optOuts().indexOf(k) >= 0) { waitFrom(k, at); }
  }

  function set(choices) {
    var changed = [];
    var held = [];
    var before = {};
    var sent = {};
    var now = new Date().toISOString();
    for (var k in choices) {
      var value = forced(k) ? false : choices[k] === true;
      var minorGrant = value && confirmer() && optOuts().indexOf(k) >= 0;
      if (minorGrant && saved.choices[k] === true) { continue; }
      sent[k] = choices[k];
      before[k] = saved.choices[k];
      // Under 16, a grant of sale or sharing takes effect only once the server has it.
      if (minorGrant) { held.push(k); } else { apply(k, value, now, changed); }
    }
    store();
    var answer = send(sent).then(read);
    activate();
    close();
    emit(changed);
    return answer.then(function (server) { settle(server, held, before); });
  }

  // The server's answer to a choice: grants it recorded take effect, grants waiting for a
  // minor's second step stay off until the confirmation dialog is answered.
  function settle(server, held, before, note) {
    if (!server) { return; }
    var pending = server.confirmation_required;
    var waiting = pending ? pending.purposes : [];
    var changed = [];
    var now = new Date().toISOString();
    held.forEach(function (k) { if (waiting.indexOf(k) < 0) { apply(k, true, now, changed); } });
    waiting.forEach(function (k) {
      if (held.indexOf(k) >= 0 || !(k in before) || saved.choices[k] === before[k]) { return; }
      changed.push(k);
      if (before[k] === undefined) { delete saved.choices[k]; } else { saved.choices[k] = before[k]; }
    });
    if (pending) { ageBand = band(pending.age_band) || ageBand; }
    store();
    if (changed.length) { activate(); emit(changed); }
    if (pending) { ask(pending, note); }
  }

  function grants(keys, value) {
    var choices = {};
    keys.forEach(function (k) { choices[k] = value; });
    return choices;
  }

  function say(text) {
    var status = d.getElementById("custos-status");
    if (!status) {
      status = el("p", { id: "custos-status", role: "status", "class": "custos-status" });
      d.body.appendChild(status);
    }
    status.textContent = text;
    clearTimeout(quiet);
    if (text) { quiet = setTimeout(function () { status.textContent = ""; }, 15000); }
  }

  function drop() {
    if (step) { step.parentNode.removeChild(step); step = null; }
  }

  function finish(back) {
    drop();
    var target = back && back !== d.body && d.contains(back) ? back : d.getElementById("custos-reopen");
    if (target) { target.focus(); }
  }

  // The second step of a minor's opt-in (CCPA 1798.120(c)): the person at 13 to 15, or a
  // parent under 13, ticks the agreement and confirms; cancelling records a denial.
  function ask(pending, note) {
    var t = config.texts;
    var parent = pending.confirmed_by === "parent";
    var keys = pending.purposes;
    var back = step ? null : d.activeElement;
    drop();
    say("");
    step = el("div", { "class": "custos-overlay" });
    var box = el("div", { id: "custos-minor", role: "dialog", "aria-modal": "true", "class": "custos-banner custos-minor",
      "aria-labelledby": "custos-minor-title", "aria-describedby": "custos-minor-body", "data-confirmed-by": pending.confirmed_by });
    box.appendChild(el("h2", { id: "custos-minor-title" }, t.minor_title));
    box.appendChild(el("p", { id: "custos-minor-body" }, parent ? t.minor_body_parent : t.minor_body_self));
    var list = el("ul", { "class": "custos-minor-list" });
    keys.forEach(function (k) {
      var item = el("li", { "data-purpose-key": k });
      config.purposes.forEach(function (p) {
        if (p.key !== k) { return; }
        item.appendChild(el("strong", {}, p.name));
        item.appendChild(d.createTextNode(": " + p.description));
      });
      if (!item.firstChild) { item.textContent = k; }
      list.appendChild(item);
    });
    box.appendChild(list);
    var row = el("div", { "class": "custos-purpose" });
    var agree = el("input", { type: "checkbox", id: "custos-minor-agree" });
    row.appendChild(agree);
    row.appendChild(el("label", { "for": "custos-minor-agree" }, parent ? t.minor_agree_parent : t.minor_agree_self));
    box.appendChild(row);
    var error = el("p", { role: "alert", "class": "custos-minor-error" }, note || "");
    box.appendChild(error);
    var actions = el("div", { "class": "custos-actions" });
    var confirm = button(t.minor_confirm, function () {
      if (!agree.checked) { return; }
      confirm.disabled = true;
      send(grants(keys, true), { confirmation: pending.token, confirmed_by: pending.confirmed_by }).then(function (r) {
        if (r && r.status === 410) {
          return send(grants(keys, true)).then(read).then(function (server) {
            finish(back);
            if (server) { settle(server, keys, {}, t.minor_expired); } else { say(t.minor_failed); }
          });
        }
        return Promise.resolve(read(r)).then(function (server) {
          if (!server) { error.textContent = t.minor_failed; confirm.disabled = !agree.checked; return; }
          finish(back);
          settle(server, keys, {});
          if (!server.confirmation_required) { say(t.minor_confirmed); }
        });
      });
    }, "confirm");
    confirm.disabled = true;
    agree.addEventListener("change", function () { confirm.disabled = !agree.checked; });
    function cancel() {
      finish(back);
      set(grants(keys, false));
      say(t.minor_cancelled);
    }
    actions.appendChild(confirm);
    actions.appendChild(button(t.minor_cancel, cancel, "cancel"));
    box.appendChild(actions);
    step.keys = function (e) {
      if (e.key === "Escape") { e.preventDefault(); cancel(); return; }
      if (e.key !== "Tab") { return; }
      var stops = Array.prototype.filter.call(box.querySelectorAll("input, button"), function (n) { return !n.disabled; });
      var edge = e.shiftKey ? stops[0] : stops[stops.length - 1];
      if (d.activeElement === edge || !box.contains(d.activeElement)) {
        e.preventDefault();
        (e.shiftKey ? stops[stops.length - 1] : stops[0]).focus();
      }
    };
    step.addEventListener("mousedown", function (e) { if (e.target === step) { e.preventDefault(); } });
    step.appendChild(box);
    d.body.appendChild(step);
    agree.focus();
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
    d.addEventListener("keydown", function (e) { if (step) { step.keys(e); } });
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
    setAgeBand: function (value) { if (band(value)) { ageBand = value; store(); } },
    gpc: gpc
  };
  w.custos = w.custos || {};
  w.custos.consent = api;
  if (d.readyState === "loading") { d.addEventListener("DOMContentLoaded", start); } else { start(); }
})(window, document);
