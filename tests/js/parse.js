// Reads a feed with podcast-partytime and prints what it understood as JSON.
// Usage: node parse.js FEED.xml OUT.json  (stdout carries partytime's own log lines)
const fs = require("fs");
const { parseFeed } = require("podcast-partytime");

const xml = fs.readFileSync(process.argv[2], "utf8");
const feed = parseFeed(xml, { allowMissingGuid: false });
if (!feed) {
  console.error("podcast-partytime could not parse the feed");
  process.exit(1);
}
const json = JSON.stringify(feed, (key, value) => (value instanceof Date ? value.toISOString() : value), 2);
fs.writeFileSync(process.argv[3], json);
