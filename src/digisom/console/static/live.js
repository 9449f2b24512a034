// A live page (the RTGS queue, a run while it pays) reloads itself every
// `data-refresh-s` seconds until the operator pauses it: WCAG 2.2.1 wants a way to stop
// a page that changes by itself (a <meta refresh> offers none). Without script the page
// simply stays as loaded; a reload by hand shows the news.
(() => {
  "use strict";
  const seconds = Number(document.body.dataset.refreshS);
  const toggle = document.getElementById("live-toggle");
  if (!(seconds > 0) || toggle === null) {
    return;
  }
  const remembered = "digisom-console-live-paused";
  let paused = sessionStorage.getItem(remembered) === "1";
  let timer = 0;
  const show = () => {
    toggle.textContent = paused ? toggle.dataset.resume : toggle.dataset.pause;
    toggle.setAttribute("aria-pressed", String(paused));
  };
  const arm = () => {
    window.clearTimeout(timer);
    if (!paused) {
      timer = window.setTimeout(() => window.location.reload(), seconds * 1000);
    }
  };
  toggle.addEventListener("click", () => {
    paused = !paused;
    sessionStorage.setItem(remembered, paused ? "1" : "0");
    show();
    arm();
  });
  toggle.hidden = false;
  show();
  arm();
})();
