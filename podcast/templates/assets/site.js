// Timestamps and chapters seek the player; the passage being played is highlighted.
// The page is fully readable without this script.
(function () {
  var player = document.getElementById("player");
  if (!player) return;
  function seek(seconds) {
    player.currentTime = seconds;
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () {});
  }
  document.querySelectorAll("button.seek").forEach(function (button) {
    button.addEventListener("click", function () { seek(parseFloat(button.dataset.start)); });
  });
  // Times in the notes are links to #t=SECONDS: seek without leaving the page.
  document.querySelectorAll('a[href^="#t="]').forEach(function (link) {
    var start = parseFloat(link.getAttribute("href").slice(3));
    link.setAttribute("aria-label", (document.body.dataset.listenFrom || "") + " " + link.textContent);
    link.addEventListener("click", function (event) {
      event.preventDefault();
      seek(start);
    });
  });
  var passages = Array.prototype.slice.call(document.querySelectorAll("p.passage"));
  var current = null;
  player.addEventListener("timeupdate", function () {
    var t = player.currentTime, found = null;
    for (var i = 0; i < passages.length; i++) {
      if (parseFloat(passages[i].dataset.start) <= t) found = passages[i]; else break;
    }
    if (found !== current) {
      if (current) current.classList.remove("current");
      if (found) found.classList.add("current");
      current = found;
    }
  });
  var match = /[#&]t=(\d+(?:\.\d+)?)/.exec(location.hash);
  if (match) {
    player.addEventListener("loadedmetadata", function () { player.currentTime = parseFloat(match[1]); }, { once: true });
  }
})();
