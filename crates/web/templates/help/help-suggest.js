// Offers help centre articles while a customer types. Every input or textarea carrying
// data-help-suggest="LANG" (cs, en, pl, fr, ru; empty for every language) asks
// /api/v1/help/search as it changes, at most once per pause in typing, and lists the
// articles found as links in the <ul data-help-suggestions> of its form (else the page's
// first one). No framework, no inline code, text only through textContent: the page's
// content security policy (script-src 'self') holds.
(function () {
  "use strict";

  var PAUSE_MS = 250;
  var LEAST_CHARS = 3;
  var SHOWN = 5;

  function listFor(input) {
    var scope = input.form || document;
    return scope.querySelector("[data-help-suggestions]") ||
      document.querySelector("[data-help-suggestions]");
  }

  function fill(list, label, articles) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    articles.forEach(function (a) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/help/" + encodeURIComponent(a.slug) + "?lang=" + encodeURIComponent(a.language);
      link.textContent = a.title;
      item.appendChild(link);
      if (a.snippet) {
        var snippet = document.createElement("span");
        snippet.className = "muted";
        snippet.textContent = " " + a.snippet;
        item.appendChild(snippet);
      }
      list.appendChild(item);
    });
    list.hidden = articles.length === 0;
    if (label) {
      label.hidden = list.hidden;
    }
  }

  function watch(input) {
    var list = listFor(input);
    if (!list) {
      return;
    }
    var labelId = list.getAttribute("aria-labelledby");
    var label = labelId ? document.getElementById(labelId) : null;
    var language = input.getAttribute("data-help-suggest") || "";
    var timer = null;
    var asked = 0;

    function ask() {
      var text = input.value;
      var mine = ++asked;
      if (text.trim().length < LEAST_CHARS) {
        fill(list, label, []);
        return;
      }
      var url = "/api/v1/help/search?limit=" + SHOWN + "&q=" + encodeURIComponent(text);
      if (language) {
        url += "&lang=" + encodeURIComponent(language);
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
        .then(function (body) {
          // An older answer arriving late never replaces a newer one.
          if (mine === asked) {
            fill(list, label, body.articles || []);
          }
        })
        .catch(function () {
          if (mine === asked) {
            fill(list, label, []);
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, PAUSE_MS);
    });
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-help-suggest], textarea[data-help-suggest]");
    Array.prototype.forEach.call(inputs, watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
