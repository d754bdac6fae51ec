// Game page: keyboard support of the "add a player" typeahead (ARIA combobox, focus stays in
// the field, the active option is aria-activedescendant). Everything works without this file:
// the options are submit buttons and the field accepts a pasted Discord id.
(function () {
  "use strict";
  var active = -1;

  function parts() {
    return {
      input: document.getElementById("add-player-input"),
      listbox: document.getElementById("member-listbox"),
      options: Array.prototype.slice.call(
        document.querySelectorAll("#member-listbox [role=option]")
      ),
    };
  }

  function activate(index) {
    var p = parts();
    active = index;
    p.options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("is-active", i === index);
    });
    if (index >= 0 && p.options[index]) {
      p.input.setAttribute("aria-activedescendant", p.options[index].id);
      p.options[index].scrollIntoView({ block: "nearest" });
    } else if (p.input) {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  document.addEventListener("htmx:afterSettle", function () {
    var p = parts();
    if (!p.input) return;
    p.input.setAttribute("aria-expanded", p.options.length ? "true" : "false");
    activate(-1);
  });

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p.input || event.target !== p.input) return;
    var count = p.options.length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      activate((active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      activate(active <= 0 ? count - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && p.options[active]) {
      event.preventDefault();
      p.options[active].click(); // submits the add form with this member's id
    } else if (event.key === "Escape" && count) {
      event.preventDefault();
      p.listbox.replaceChildren();
      p.input.setAttribute("aria-expanded", "false");
      activate(-1);
    }
  });
})();
