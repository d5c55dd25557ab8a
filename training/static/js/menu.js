// Progressive enhancement: on a narrow screen the main menu starts closed behind its
// "Menu" button; on a wide one it is a row of links. Without JavaScript it stays open.
(function () {
  "use strict";
  var menu = document.querySelector(".nav-menu");
  if (!menu || !window.matchMedia) return;
  var narrow = window.matchMedia("(max-width: 40rem)");
  function fit() { menu.open = !narrow.matches; }
  fit();
  narrow.addEventListener("change", fit);
})();
