// The proofreading page of `podcast review`. Every text is set with textContent: whatever the
// transcript or the producer types is shown as text, never parsed as HTML.
"use strict";

const data = JSON.parse(document.getElementById("data").textContent);
const token = document.querySelector('meta[name="review-token"]').content;
const audio = document.getElementById("audio");
const list = document.getElementById("cues");
const statusLine = document.getElementById("status");
const draftKey = `podcast-review:${data.slug}:${data.version}`;
let cues = [];

// The page's words, in the show's language: tr("saved", {message}) fills "{message}".
function tr(key, values = {}) {
  return data.t[key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function say(text) {
  statusLine.textContent = text;
}

function fold(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

const glossaryWords = new Set(data.glossary.flatMap((term) => fold(term).split(" ")).filter((w) => w.length > 2));

function play(at) {
  audio.currentTime = at;
  audio.play().catch(() => {});
}

function wordSpans(cue) {
  if (!cue.words || !cue.words.length || cue.edited) {
    return [document.createTextNode(cue.text)];
  }
  return cue.words.map((word) => {
    const span = document.createElement("span");
    span.className = "w";
    span.textContent = word.word;
    span.dataset.start = word.start;
    if (word.probability < data.unsure_below) {
      span.classList.add("unsure");
      span.title = tr("unsure", { percent: Math.round(word.probability * 100) });
    }
    if (fold(word.word).split(" ").some((w) => glossaryWords.has(w))) {
      span.classList.add("glossary");
    }
    return span;
  });
}

function caretOffset(element) {
  const selection = window.getSelection();
  if (!selection.rangeCount || !element.contains(selection.anchorNode)) {
    return -1;
  }
  const range = document.createRange();
  range.selectNodeContents(element);
  range.setEnd(selection.anchorNode, selection.anchorOffset);
  return range.toString().length;
}

function timeAtOffset(cue, offset) {
  // The start of the word the offset falls in, when Whisper's words are known; else by length.
  if (cue.words && cue.words.length && !cue.edited) {
    let seen = 0;
    for (const word of cue.words) {
      if (seen + word.word.length > offset) {
        return word.start;
      }
      seen += word.word.length;
    }
  }
  const share = cue.text.length ? offset / cue.text.length : 0.5;
  return cue.start + (cue.end - cue.start) * share;
}

function render() {
  list.replaceChildren();
  cues.forEach((cue, index) => list.append(row(cue, index)));
  const speakers = new Set([...data.speakers, ...cues.map((c) => c.speaker).filter(Boolean)]);
  const options = [...speakers].map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    return option;
  });
  document.getElementById("speakers").replaceChildren(...options.map((o) => o.cloneNode(true)));
  document.getElementById("rename-from").replaceChildren(...options);
}

function row(cue, index) {
  const item = document.createElement("article");
  item.className = "cue";
  item.dataset.index = index;
  const time = document.createElement("button");
  time.type = "button";
  time.className = "time";
  time.textContent = clock(cue.start);
  time.setAttribute("aria-label", tr("play_from", { time: clock(cue.start) }));
  time.addEventListener("click", () => play(cue.start));
  const speaker = document.createElement("input");
  speaker.value = cue.speaker || "";
  speaker.setAttribute("list", "speakers");
  speaker.setAttribute("aria-label", tr("speaker_at", { time: clock(cue.start) }));
  speaker.addEventListener("change", () => {
    cue.speaker = speaker.value.trim();
    changed();
  });
  const text = document.createElement("div");
  text.className = "text";
  text.contentEditable = "true";
  text.setAttribute("role", "textbox");
  text.setAttribute("aria-multiline", "true");
  text.setAttribute("aria-label", tr("text_at", { time: clock(cue.start) }));
  text.spellcheck = true;
  text.append(...wordSpans(cue));
  text.addEventListener("input", () => {
    cue.text = text.textContent;
    cue.edited = true;
    changed();
  });
  text.addEventListener("click", (event) => {
    const word = event.target.closest(".w");
    if (word) {
      play(Number(word.dataset.start));
    }
  });
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(
    button(tr("split"), tr("split_at", { time: clock(cue.start) }), () => split(index, text)),
    button(tr("merge"), tr("merge_at", { time: clock(cue.start) }), () => merge(index)),
  );
  item.append(time, speaker, text, actions);
  return item;
}

function button(label, description, action) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.setAttribute("aria-label", description);
  element.addEventListener("click", action);
  return element;
}

function split(index, element) {
  const cue = cues[index];
  const offset = caretOffset(element);
  if (offset <= 0 || offset >= cue.text.length) {
    say(tr("place_cursor"));
    return;
  }
  const at = Math.min(Math.max(timeAtOffset(cue, offset), cue.start + 0.01), cue.end - 0.01);
  const first = { ...cue, end: at, text: cue.text.slice(0, offset).trim(), edited: true };
  const second = { ...cue, start: at, text: cue.text.slice(offset).trim(), edited: true };
  cues.splice(index, 1, first, second);
  changed();
  render();
}

function merge(index) {
  if (index + 1 >= cues.length) {
    say(tr("last_cue"));
    return;
  }
  const [first, second] = [cues[index], cues[index + 1]];
  const words = first.edited || second.edited ? [] : [...(first.words || []), ...(second.words || [])];
  const merged = { ...first, end: second.end, text: `${first.text} ${second.text}`.trim(), words };
  merged.edited = first.edited || second.edited;
  cues.splice(index, 2, merged);
  changed();
  render();
}

let pending = null;

function changed() {
  clearTimeout(pending);
  pending = setTimeout(keepDraft, 300);
  say(tr("unsaved"));
}

function keepDraft() {
  // Only what the producer can change: a 3-hour transcript with Whisper's words would not fit
  // in localStorage; the words come back from the page's data when a cue is unchanged.
  clearTimeout(pending);
  pending = null;
  const slim = cues.map((c) => ({ start: c.start, end: c.end, text: c.text, speaker: c.speaker || "", edited: !!c.edited }));
  try {
    localStorage.setItem(draftKey, JSON.stringify(slim));
  } catch (error) {
    say(tr("unsaved_lost"));
  }
}

function restored(draft) {
  const words = new Map(data.cues.map((c) => [`${c.start}|${c.text}`, c.words]));
  return draft.map((c) => ({ ...c, words: c.edited ? [] : words.get(`${c.start}|${c.text}`) || [] }));
}

function nextUnsure() {
  const now = audio.currentTime + 0.05;
  const words = [...list.querySelectorAll(".w.unsure")];
  const next = words.find((w) => Number(w.dataset.start) > now) || words[0];
  if (!next) {
    say(tr("no_unsure"));
    return;
  }
  list.querySelectorAll(".w.current").forEach((w) => w.classList.remove("current"));
  next.classList.add("current");
  next.scrollIntoView({ block: "center" });
  next.closest(".text").focus();
  audio.currentTime = Number(next.dataset.start);
}

async function save() {
  say(tr("saving"));
  const body = JSON.stringify({
    cues: cues.map((c) => ({ start: c.start, end: c.end, text: c.text, speaker: c.speaker || "" })),
  });
  try {
    const response = await fetch("/save", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Review-Token": token },
      body,
    });
    const answer = await response.json();
    if (!response.ok) {
      say(tr("not_saved", { error: answer.error }));
      return;
    }
    clearTimeout(pending);
    pending = null;
    localStorage.removeItem(draftKey);
    document.getElementById("draft").hidden = true;
    document.getElementById("state").textContent = tr("reviewed");
    say(tr("saved", { message: answer.message }));
  } catch (error) {
    say(tr("no_answer", { error: error.message }));
  }
}

function rename(event) {
  event.preventDefault();
  const from = document.getElementById("rename-from").value;
  const to = document.getElementById("rename-to").value.trim();
  if (!to) {
    return;
  }
  let count = 0;
  for (const cue of cues) {
    if (cue.speaker === from) {
      cue.speaker = to;
      count += 1;
    }
  }
  changed();
  render();
  say(tr("renamed", { count, name: to }));
}

function keys(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    if (audio.paused) {
      audio.play().catch(() => {});
    } else {
      audio.pause();
    }
  } else if (event.key === "F1") {
    event.preventDefault();
    audio.currentTime = Math.max(0, audio.currentTime - 5);
  } else if (event.key === "F2") {
    event.preventDefault();
    nextUnsure();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
    event.preventDefault();
    save();
  }
}

function follow() {
  const now = audio.currentTime;
  list.querySelectorAll(".cue.playing").forEach((c) => c.classList.remove("playing"));
  const index = cues.findIndex((c) => c.start <= now && now < c.end);
  if (index >= 0) {
    list.children[index].classList.add("playing");
  }
}

// Suggestions: every cut and proposal, accepted (as edited), or rejected, one by one, through
// the same function as `podcast suggest`; the server answers with the item as it now stands.
const groups = ["cuts", "chapters", "notes", "names"];

function suggestions() {
  if (!data.suggestions.length) {
    return;
  }
  document.getElementById("suggestions").hidden = false;
  const sections = groups
    .map((group) => [group, data.suggestions.filter((s) => s.group === group)])
    .filter(([, items]) => items.length)
    .map(([group, items]) => {
      const section = document.createElement("section");
      const title = document.createElement("h3");
      title.id = `suggestions-${group}`;
      title.textContent = tr(`group_${group}`);
      const list = document.createElement("ul");
      list.className = "suggestion-list";
      list.setAttribute("aria-labelledby", title.id);
      list.append(...items.map(suggestionItem));
      section.append(title, list);
      return section;
    });
  document.getElementById("suggestion-groups").replaceChildren(...sections);
}

function suggestionItem(s) {
  const item = document.createElement("li");
  item.className = `suggestion ${s.status}`;
  item.dataset.number = s.number;
  const kind = tr(`kind_${s.kind}`);
  const name = `#${s.number} ${kind}`;
  if (s.start !== null && s.start !== undefined) {
    const label = `${tr("play_at")} ${clock(s.start)}`;
    item.append(button(clock(s.start), `${label}, ${name}`, () => play(s.start)));
  }
  const head = document.createElement("strong");
  head.textContent = ` ${name} `;
  item.append(head);
  let field = null;
  if (s.editable && s.status === "pending") {
    field = document.createElement(s.kind === "description" ? "textarea" : "input");
    field.value = s.text;
    field.className = "suggestion-text";
    field.setAttribute("aria-label", `${tr("suggestion_text")}, ${name}`);
    item.append(field);
  } else {
    const text = document.createElement("span");
    text.className = "suggestion-text";
    text.textContent = s.group === "cuts" ? `“${s.text}”` : s.text;
    item.append(text);
  }
  const state = document.createElement("span");
  state.className = "suggestion-status";
  state.textContent = ` (${tr(`status_${s.status}`)})`;
  item.append(state);
  if (s.status === "pending") {
    const actions = document.createElement("span");
    actions.className = "actions";
    actions.append(
      button(tr("accept"), `${tr("accept")} ${name}`, () => decide(s, "accept", field)),
      button(tr("reject"), `${tr("reject")} ${name}`, () => decide(s, "reject", null)),
    );
    item.append(actions);
  }
  if (s.detail) {
    const detail = document.createElement("small");
    detail.className = "suggestion-detail";
    detail.textContent = s.detail;
    item.append(detail);
  }
  return item;
}

async function decide(s, action, field) {
  const body = { number: s.number, action };
  if (field && field.value.trim() !== s.text) {
    body.text = field.value;
  }
  try {
    const response = await fetch("/suggestion", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Review-Token": token },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      say(`#${s.number}: ${answer.error}`);
      return;
    }
    const index = data.suggestions.findIndex((other) => other.number === s.number);
    if (answer.item) {
      data.suggestions[index] = answer.item;
    } else {
      data.suggestions.splice(index, 1);
    }
    suggestions();
    say(`#${s.number}: ${answer.message}`);
  } catch (error) {
    say(tr("decision_no_answer", { number: s.number, error: error.message }));
  }
}

function start() {
  document.title = tr("title_of", { title: data.title });
  document.getElementById("title").textContent = tr("title_of", { title: data.title });
  document.getElementById("state").textContent = data.reviewed ? tr("reviewed") : tr("not_reviewed");
  audio.src = data.audio;
  const draft = localStorage.getItem(draftKey);
  cues = data.cues.map((c) => ({ ...c }));
  if (draft) {
    try {
      cues = restored(JSON.parse(draft));
      document.getElementById("draft").hidden = false;
    } catch (error) {
      localStorage.removeItem(draftKey);
    }
  }
  render();
  suggestions();
  document.getElementById("play").addEventListener("click", () => keys({ key: "Escape", preventDefault() {} }));
  document.getElementById("back").addEventListener("click", () => keys({ key: "F1", preventDefault() {} }));
  document.getElementById("next-unsure").addEventListener("click", nextUnsure);
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("rename").addEventListener("submit", rename);
  document.getElementById("discard").addEventListener("click", () => {
    clearTimeout(pending);
    pending = null;
    localStorage.removeItem(draftKey);
    cues = data.cues.map((c) => ({ ...c }));
    document.getElementById("draft").hidden = true;
    render();
    say(tr("discarded"));
  });
  document.addEventListener("keydown", keys);
  window.addEventListener("pagehide", () => pending && keepDraft());
  audio.addEventListener("timeupdate", follow);
}

start();
