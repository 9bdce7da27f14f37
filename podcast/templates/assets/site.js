// The show's pages: a player built on the native <audio> (play, skips, speed, a progress bar with
// chapter marks, keyboard shortcuts, the Media Session API, the position kept per episode, docked
// while the transcript is read), the transcript following playback with a search box, "copy the
// quote", sharing at the current time, one-tap subscribe. Without this script the native control
// still plays and every page reads. Every text is set with textContent.
(function () {
  "use strict";
  var words = {};
  try { words = JSON.parse(document.body.dataset.words); } catch (e) { /* defaults below */ }
  var RATES = [1, 1.25, 1.5, 1.75, 2, 0.8];
  var reduced = window.matchMedia && matchMedia("(prefers-reduced-motion: reduce)").matches;
  var toast = document.getElementById("status"), toastTimer = 0;

  function say(text) {
    if (!toast) return;
    toast.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.textContent = ""; }, 4000);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }
  function parseTime(text) {
    var parts = String(text).split(":");
    if (parts.length > 3) return null;
    var total = 0;
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) return null;
      total = total * 60 + parseFloat(parts[i]);
    }
    return total;
  }
  function hashTime() {
    var match = /(?:^#|&)t=([0-9:.]+)/.exec(location.hash);
    return match ? parseTime(match[1]) : null;
  }
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ");
  }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function keep(key, value) {
    try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) { /* private mode, sandboxed frame */ }
  }
  function positionKey(url) { return "podcast-position:" + new URL(url, location.href).pathname.replace(/[^/]*$/, ""); }
  function debounce(fn, ms) {
    var timer = 0;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function copy(text, done) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      say(ok ? done : words.copy_failed);
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(function () { say(done); }, fallback);
    else fallback();
  }

  // -- The player: the native element, our controls -------------------------------------------
  function Player(box, audio) {
    var $ = function (cls) { return box.querySelector(cls); };
    var play = $(".c-play"), bar = $(".c-seek"), now = $(".c-now"), total = $(".c-total"), rate = $(".c-rate");
    var chapterLine = $(".c-chapter"), marks = $(".c-marks");
    var chapters = [], listeners = [], dragging = false, chapterIndex = -2;
    box.classList.add("enhanced");
    audio.removeAttribute("controls");
    $(".controls").hidden = false;

    function duration() { return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : parseFloat(bar.max) || 0; }
    function start() {
      var playing = audio.play();
      if (playing && playing.catch) playing.catch(function () { /* refused without a gesture */ });
    }
    function toggle() { if (audio.paused) start(); else audio.pause(); }
    function seek(t, andPlay) {
      var end = duration();
      audio.currentTime = Math.max(0, end ? Math.min(t, end - 0.25) : t);
      update();
      if (andPlay) start();
    }
    function skip(by) { seek(audio.currentTime + by); }
    function drawMarks() {
      var end = duration();
      if (!marks || !end) return;
      marks.textContent = "";
      chapters.forEach(function (c) {
        if (c.start <= 0 || c.start >= end) return;
        var mark = document.createElement("i");
        mark.style.left = (100 * c.start / end) + "%";
        marks.appendChild(mark);
      });
    }
    function currentChapter(t) {
      var found = -1;
      for (var i = 0; i < chapters.length && chapters[i].start <= t + 0.25; i++) found = i;
      return found;
    }
    function update() {
      var t = audio.currentTime, end = duration();
      if (!dragging) bar.value = t;
      now.textContent = clock(t);
      bar.setAttribute("aria-valuetext", clock(t) + " " + (words.of || "/") + " " + clock(end));
      var index = currentChapter(t);
      if (index !== chapterIndex) {
        if (chapters[chapterIndex] && chapters[chapterIndex].item) chapters[chapterIndex].item.classList.remove("current");
        chapterIndex = index;
        var chapter = chapters[index];
        if (chapter && chapter.item) chapter.item.classList.add("current");
        if (chapterLine) chapterLine.textContent = chapter ? chapter.title : "";
        api.chapter = chapter ? chapter.title : "";
        listeners.forEach(function (fn) { fn(t, true); });
        return;
      }
      listeners.forEach(function (fn) { fn(t, false); });
    }
    function lengthKnown() {
      var end = duration();
      bar.max = Math.ceil(end);
      total.textContent = clock(end);
      drawMarks();
      update();
    }
    play.addEventListener("click", toggle);
    $(".c-back").addEventListener("click", function () { skip(-15); });
    $(".c-fwd").addEventListener("click", function () { skip(30); });
    $(".c-speed").addEventListener("click", function () {
      audio.playbackRate = RATES[(RATES.indexOf(audio.playbackRate) + 1) % RATES.length] || 1;
    });
    bar.addEventListener("input", function () { dragging = true; now.textContent = clock(bar.value); });
    bar.addEventListener("change", function () { dragging = false; seek(parseFloat(bar.value)); });
    audio.addEventListener("timeupdate", update);
    audio.addEventListener("seeked", update);
    audio.addEventListener("loadedmetadata", lengthKnown);
    audio.addEventListener("durationchange", lengthKnown);
    audio.addEventListener("ratechange", function () {
      rate.textContent = audio.playbackRate.toLocaleString(document.documentElement.lang || undefined) + "×";
    });
    ["play", "pause", "ended"].forEach(function (name) {
      audio.addEventListener(name, function () {
        var playing = !audio.paused;
        box.classList.toggle("playing", playing);
        play.setAttribute("aria-label", playing ? words.pause || "Pause" : words.play || "Play");
        listeners.forEach(function (fn) { fn(audio.currentTime, true); });
      });
    });
    var api = {
      audio: audio, box: box, seek: seek, skip: skip, toggle: toggle, start: start, chapter: "", duration: duration,
      chapters: function () { return chapters; },
      setChapters: function (list) { chapters = list; chapterIndex = -2; drawMarks(); update(); },
      onTime: function (fn) { listeners.push(fn); },
    };
    if (audio.readyState >= 1) lengthKnown();
    return api;
  }

  // Lock screen, headset and car controls, with the cover and the chapter's title.
  function mediaSession(player, media) {
    if (!("mediaSession" in navigator) || !window.MediaMetadata) return;
    var session = navigator.mediaSession, shown = null, lastPosition = 0;
    function describe() {
      var artist = player.chapter || media.show || "";
      if (shown === media.title + "|" + artist) return;
      shown = media.title + "|" + artist;
      try {
        session.metadata = new MediaMetadata({
          title: media.title || document.title,
          artist: artist,
          album: media.show || "",
          artwork: (media.artwork || []).map(function (a) { return { src: new URL(a.src, location.href).href, sizes: a.sizes, type: a.type }; }),
        });
      } catch (e) { /* an old browser */ }
    }
    function chapterJump(step) {
      var list = player.chapters(), t = player.audio.currentTime, i;
      if (!list.length) return player.skip(step > 0 ? 30 : -15);
      for (i = list.length - 1; i > 0 && list[i].start > t + 0.5; i--);
      if (step < 0 && t - list[i].start < 3 && i > 0) i--;
      else if (step > 0) i = Math.min(i + 1, list.length - 1);
      player.seek(list[i].start, true);
    }
    var handlers = {
      play: function () { player.start(); },
      pause: function () { player.audio.pause(); },
      seekbackward: function (d) { player.skip(-(d.seekOffset || 15)); },
      seekforward: function (d) { player.skip(d.seekOffset || 30); },
      seekto: function (d) { player.seek(d.seekTime); },
      previoustrack: function () { chapterJump(-1); },
      nexttrack: function () { chapterJump(1); },
    };
    Object.keys(handlers).forEach(function (name) {
      try { session.setActionHandler(name, handlers[name]); } catch (e) { /* not supported here */ }
    });
    player.onTime(function (t, changed) {
      if (changed) {
        describe();
        session.playbackState = player.audio.paused ? "paused" : "playing";
      }
      if (session.setPositionState && player.duration() && (changed || Math.abs(t - lastPosition) > 5)) {
        lastPosition = t;
        try {
          session.setPositionState({ duration: player.duration(), playbackRate: player.audio.playbackRate, position: Math.min(t, player.duration()) });
        } catch (e) { /* position past the end while loading */ }
      }
    });
  }

  // The position, kept per episode: "Reprendre à 12:30" after a reload or another visit.
  function remember(player, keyOf) {
    var saved = 0;
    player.onTime(function (t) {
      var key = keyOf();
      if (!key) return;
      var end = player.duration();
      if (end && t > end - 15) { keep(key, null); saved = 0; }
      else if (t > 5 && (Math.abs(t - saved) >= 5 || player.audio.paused)) { saved = t; keep(key, String(Math.floor(t))); }
    });
    window.addEventListener("pagehide", function () {
      var t = player.audio.currentTime, key = keyOf();
      if (key && t > 5 && !(player.duration() && t > player.duration() - 15)) keep(key, String(Math.floor(t)));
    });
  }

  function keyboard(player) {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      var el = event.target, tag = el.tagName, type = (el.type || "").toLowerCase();
      if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return;
      if (tag === "INPUT" && !/^(checkbox|radio|range|button)$/.test(type)) return;
      var key = event.key, range = tag === "INPUT" && type === "range";
      if (key === " " || key === "Spacebar") {
        if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY" || (tag === "INPUT" && !range)) return;
        player.toggle();
      } else if (key === "k" || key === "K") player.toggle();
      else if (key === "j" || key === "J") player.skip(-15);
      else if (key === "l" || key === "L") player.skip(30);
      else if ((key === "ArrowLeft" || key === "ArrowRight") && !range) player.skip(key === "ArrowLeft" ? -5 : 5);
      else return;
      event.preventDefault();
    });
  }

  // Seek buttons: chapters, transcript times, the notes' timestamps.
  function seekers(player) {
    document.querySelectorAll("button.seek").forEach(function (button) {
      button.addEventListener("click", function () { player.seek(parseFloat(button.dataset.start), true); });
    });
    document.querySelectorAll('a[href^="#t="]').forEach(function (link) {
      var start = parseTime(link.getAttribute("href").slice(3));
      if (start === null) return;
      link.setAttribute("aria-label", (words.listen_from || "") + " " + link.textContent);
      link.addEventListener("click", function (event) { event.preventDefault(); player.seek(start, true); });
    });
  }

  function followTranscript(player) {
    var spans = Array.prototype.slice.call(document.querySelectorAll(".transcript span[data-s]"));
    if (!spans.length) return;
    var starts = spans.map(function (s) { return parseFloat(s.dataset.s); });
    var follow = document.getElementById("t-follow"), current = null, passage = null;
    function find(t) {
      var lo = 0, hi = starts.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (starts[mid] <= t + 0.1) lo = mid + 1; else hi = mid; }
      return lo - 1;
    }
    function selecting() { var sel = window.getSelection(); return sel && !sel.isCollapsed; }
    function offscreen(el) { var r = el.getBoundingClientRect(); return r.top < 90 || r.bottom > innerHeight - 140; }
    // Only a reader who is in the transcript is followed: one at the player stays there.
    var area = document.querySelector(".transcript");
    function reading() { var r = area.getBoundingClientRect(); return r.top < innerHeight * 0.6 && r.bottom > 0; }
    player.onTime(function (t) {
      var i = find(t), span = i >= 0 ? spans[i] : null;
      if (span === current) return;
      if (current) current.classList.remove("now");
      if (span) span.classList.add("now");
      current = span;
      var next = span ? span.closest(".passage") : null;
      if (next !== passage) {
        if (passage) passage.classList.remove("current");
        if (next) next.classList.add("current");
        passage = next;
      }
      if (span && follow && follow.checked && !player.audio.paused && !selecting() && !span.closest("[hidden]") && reading() && offscreen(span)) {
        span.scrollIntoView({ block: "center", behavior: reduced ? "auto" : "smooth" });
      }
    });
    // Scrolling by hand while it plays means "let me read": following stops (the box says so).
    var stop = function () { if (follow && !player.audio.paused) follow.checked = false; };
    window.addEventListener("wheel", stop, { passive: true });
    window.addEventListener("touchmove", stop, { passive: true });
  }

  function searchTranscript() {
    var input = document.getElementById("t-search"), count = document.getElementById("t-count");
    if (!input) return;
    var passages = Array.prototype.slice.call(document.querySelectorAll(".transcript .passage"));
    var texts = passages.map(function (p) { return fold((p.dataset.speaker || "") + " " + p.textContent); });
    input.addEventListener("input", debounce(function () {
      var query = fold(input.value).trim(), found = 0;
      passages.forEach(function (p, i) {
        var hit = !query || texts[i].indexOf(query) >= 0;
        p.hidden = !hit;
        if (hit) found++;
      });
      count.textContent = query ? found + " " + words.matches : "";
    }, 150));
  }

  // Select words of the transcript, and "Copier la citation" gives the quote, who said it, the
  // episode and a link to that moment.
  function quotes(media) {
    var button = document.getElementById("quote"), area = document.querySelector(".transcript");
    if (!button || !area) return;
    var pending = null;
    function selection() {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
      var text = sel.toString().replace(/[ \t\r\n]+/g, " ").trim(); // no-break spaces of French typography kept
      var range = sel.getRangeAt(0), node = range.startContainer;
      var el = node.nodeType === 1 ? node : node.parentElement;
      if (!text || !el || !area.contains(el) || el.closest(".tools")) return null;
      var span = el.closest("span[data-s]"), passage = el.closest(".passage");
      if (!passage) return null;
      var start = parseFloat(span ? span.dataset.s : passage.dataset.start);
      if (!span) { var first = passage.querySelector("span[data-s]"); if (first) start = parseFloat(first.dataset.s); }
      var speaker = passage.dataset.speaker || "";
      return { text: text.replace(new RegExp("^" + speaker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "\\s+"), ""), speaker: speaker, start: start, rect: range.getBoundingClientRect() };
    }
    document.addEventListener("selectionchange", debounce(function () {
      var found = selection();
      if (!found) { if (document.activeElement !== button) button.hidden = true; return; }
      pending = found;
      button.hidden = false;
      var top = found.rect.bottom + window.scrollY + 8;
      var left = Math.min(Math.max(8, found.rect.left + window.scrollX), window.scrollX + document.documentElement.clientWidth - button.offsetWidth - 8);
      button.style.top = top + "px";
      button.style.left = left + "px";
    }, 120));
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () {
      if (!pending) return;
      var open = words.quote_open || "“", close = words.quote_close || "”", stamp = clock(pending.start);
      var who = [pending.speaker, open + media.title + close, media.show].filter(Boolean).join(", ");
      var url = (media.url || location.href.split("#")[0]) + "#t=" + stamp;
      copy(open + pending.text + close + "\n— " + who + ", " + stamp + "\n" + url, words.quote_copied);
      button.hidden = true;
    });
  }

  function share(player, media) {
    var field = document.getElementById("share-url"), at = document.getElementById("share-at"), time = document.getElementById("share-time");
    if (!field || !at) return;
    var details = field.closest("details"), base = field.dataset.base;
    function refresh() {
      var t = Math.floor(player.audio.currentTime);
      time.textContent = clock(t);
      field.value = at.checked && t > 0 ? base + "#t=" + clock(t) : base;
    }
    at.addEventListener("change", refresh);
    player.onTime(function () { if (!details || details.open) refresh(); });
    if (details) details.addEventListener("toggle", function () { if (details.open && player.audio.currentTime > 0) { at.checked = true; refresh(); } });
    var native = document.getElementById("share-native");
    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        refresh();
        navigator.share({ title: media.title, text: media.show, url: field.value }).catch(function () { /* closed */ });
      });
    }
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy-from]").forEach(function (button) {
      button.addEventListener("click", function () {
        copy(document.getElementById(button.dataset.copyFrom).value, words[button.dataset.copied] || "");
      });
    });
    document.querySelectorAll("a[data-copy]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        copy(link.dataset.copy, words[link.dataset.copied] || "");
      });
    });
  }

  // Scrolled past, the player docks at the bottom of the screen in a compact form.
  function dock(box) {
    var slot = box.parentNode;
    if (!slot.classList.contains("player-slot") || !("IntersectionObserver" in window)) return;
    new IntersectionObserver(function (entries) {
      var entry = entries[0], docked = !entry.isIntersecting && entry.boundingClientRect.top < 0;
      if (docked && !box.classList.contains("docked")) slot.style.minHeight = slot.offsetHeight + "px";
      box.classList.toggle("docked", docked);
    }).observe(slot);
  }

  function episodePage(box) {
    var audio = box.querySelector("audio"), media = {};
    try { media = JSON.parse(box.dataset.media); } catch (e) { media = {}; }
    var player = Player(box, audio);
    player.setChapters(Array.prototype.map.call(document.querySelectorAll(".chapters button.chapter"), function (b) {
      return { start: parseFloat(b.dataset.start), title: b.querySelector(".c-name").textContent, item: b.parentNode };
    }));
    seekers(player);
    mediaSession(player, media);
    keyboard(player);
    followTranscript(player);
    searchTranscript();
    quotes(media);
    share(player, media);
    dock(box);
    var key = positionKey(location.href), saved = parseFloat(load(key)) || 0, wanted = hashTime();
    function land(t) {
      if (audio.readyState >= 1) player.seek(t);
      else audio.addEventListener("loadedmetadata", function () { player.seek(t); }, { once: true });
    }
    if (wanted !== null) land(wanted);
    else if (saved > 5) {
      land(saved);
      var resume = document.querySelector(".c-resume");
      if (resume) {
        resume.textContent = (words.resume || "") + " " + clock(saved);
        resume.parentNode.hidden = false;
        resume.addEventListener("click", function () { player.seek(saved, true); resume.parentNode.hidden = true; });
        audio.addEventListener("play", function () { resume.parentNode.hidden = true; }, { once: true });
      }
    }
    window.addEventListener("hashchange", function () { var t = hashTime(); if (t !== null) player.seek(t, true); });
    remember(player, function () { return key; });
  }

  // The home page and a person's page: a play button per episode, one compact player.
  function listPage(mini) {
    var buttons = document.querySelectorAll("button.play-here");
    if (!buttons.length) return;
    var audio = mini.querySelector("audio"), player = Player(mini, audio), title = document.createElement("a");
    title.className = "c-title";  // in the page once it has a link to give
    var current = null, media = { artwork: [] }, key = "";
    remember(player, function () { return key; });
    mediaSession(player, media);
    keyboard(player);
    function pressed() { if (current) current.setAttribute("aria-pressed", String(!audio.paused)); }
    ["play", "pause", "ended"].forEach(function (name) { audio.addEventListener(name, pressed); });
    buttons.forEach(function (button) {
      button.hidden = false;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (current === button) return player.toggle();
        if (current) current.setAttribute("aria-pressed", "false");
        current = button;
        media.title = button.dataset.title;
        media.show = document.querySelector(".brand span").textContent;
        media.artwork = button.dataset.art ? [{ src: button.dataset.art, sizes: "300x300", type: "image/jpeg" }] : [];
        var light = button.dataset.light && audio.canPlayType(button.dataset.lightType);  // the lighter rendition, where it plays
        audio.src = light ? button.dataset.light : button.dataset.src;
        title.href = button.dataset.page;
        if (!title.parentNode) mini.querySelector(".controls").appendChild(title);
        title.textContent = button.dataset.title;
        mini.hidden = false;
        key = "";  // the next episode's position is read before it is written
        var saved = parseFloat(load(positionKey(button.dataset.page))) || 0;
        audio.addEventListener("loadedmetadata", function () {
          if (saved > 5) player.seek(saved);
          key = positionKey(button.dataset.page);
        }, { once: true });
        player.start();
      });
    });
  }

  document.querySelectorAll(".needs-js").forEach(function (el) { el.hidden = false; });
  copyButtons();
  var box = document.getElementById("player-box"), mini = document.getElementById("mini");
  if (box) episodePage(box);
  else if (mini) listPage(mini);
})();
