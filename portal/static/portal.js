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

  // Where a closed <details> cannot be shown whole by the stylesheet, open the menu
  // on wide screens; phones keep it folded.
  var menu = document.querySelector(".site-menu");
  var whole = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (menu && !whole && window.matchMedia("(min-width: 48rem)").matches) {
    menu.open = true;
  }
});
