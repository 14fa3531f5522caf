// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // Where a closed <details> cannot be shown whole by the stylesheet, open the menu
  // on wide screens; phones keep it folded.
  var menu = document.querySelector(".site-menu");
  var whole = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (menu && !whole && window.matchMedia("(min-width: 48rem)").matches) {
    menu.open = true;
  }
});
