// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // A copy button beside a read-only address; without script the field is selectable.
  if (navigator.clipboard) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById(button.getAttribute("aria-describedby"));
      if (!field) {
        return;
      }
      button.hidden = false;
      field.addEventListener("focus", function () { field.select(); });
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied");
          }
        }, function () {
          field.focus();
        });
      });
    });
  }

  // Changing the language reloads the page: keep what was typed in this tab's
  // forms meanwhile (sessionStorage: this tab only, gone when it closes; never
  // passwords or hidden fields) and put it back into the page in its new language.
  var typedKey = "portal-typed:" + location.pathname;
  function keepable(field) {
    return field.name && field.name !== "csrf_token" && field.type !== "password" &&
      field.type !== "hidden" && field.type !== "file" && field.type !== "submit";
  }
  document.querySelectorAll(".language-list a[hreflang]").forEach(function (link) {
    link.addEventListener("click", function () {
      var typed = [];
      document.querySelectorAll("main form[method=post]").forEach(function (form) {
        Array.prototype.forEach.call(form.elements, function (field) {
          if (!keepable(field)) {
            return;
          }
          if (field.type === "radio" || field.type === "checkbox") {
            if (field.checked) {
              typed.push([field.name, field.value, true]);
            }
          } else if (field.value) {
            typed.push([field.name, field.value, false]);
          }
        });
      });
      try {
        sessionStorage.setItem(typedKey, JSON.stringify(typed));
      } catch (e) { /* storage off: the page simply reloads */ }
    });
  });
  var kept = null;
  try {
    kept = sessionStorage.getItem(typedKey);
    sessionStorage.removeItem(typedKey);
  } catch (e) { /* storage off */ }
  if (kept) {
    JSON.parse(kept).forEach(function (entry) {
      document.querySelectorAll("main form[method=post] [name='" + CSS.escape(entry[0]) + "']")
        .forEach(function (field) {
          if (!keepable(field)) {
            return;
          }
          if (entry[2]) {
            if (field.value === entry[1]) {
              field.checked = true;
            }
          } else if (!field.value || field.tagName === "SELECT") {
            field.value = entry[1];
          }
        });
    });
  }

  // Where a closed <details> cannot be shown whole by the stylesheet, open the menu
  // on wide screens; phones keep it folded.
  var menu = document.querySelector(".site-menu");
  var whole = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (menu && !whole && window.matchMedia("(min-width: 48rem)").matches) {
    menu.open = true;
  }
});
