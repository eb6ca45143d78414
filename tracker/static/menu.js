// On a narrow screen the navigation folds behind a menu button (app.css shows the button
// below 768 px). Without JavaScript the button stays hidden and the menu stays open.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("main-menu");
    if (!button || !menu) {
      return;
    }
    document.documentElement.classList.add("has-menu-button");
    button.hidden = false;

    function toggle(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }

    button.addEventListener("click", function () {
      toggle(button.getAttribute("aria-expanded") !== "true");
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        toggle(false);
        button.focus();
      }
    });
  });
})();
