// Class folders from two emoji image sets of npm packages emoji-datasource-google and emoji-datasource-twitter
// (16.0.0): <out>/train/<category>/<code>.png from one set, <out>/test/<category>/<code>.png from the other.
// The class is the emoji's Unicode category (Smileys & Emotion, Animals & Nature, Flags, ...; 'Component',
// five skin-tone swatches, is left out). Only the base emoji (no skin-tone variations), 64x64 PNG each.
// With split 'same': only <out>/<category>/ of the Google set (the preparation holds out a stratified sixth).
//   node bench/emoji-folders.mjs <google package folder> <twitter package folder> <out> [cross|same] [per-class limit]
import fs from "node:fs";
import path from "node:path";

const [googleDir, twitterDir, out, split = "cross", limitArg] = process.argv.slice(2);
const limit = limitArg ? Number(limitArg) : Infinity;
const folder = (category) => category.toLowerCase().replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "");
const sets = split === "same" ? [["", googleDir, "google"]] : [["train", googleDir, "google"], ["test", twitterDir, "twitter"]];
for (const [part, dir, set] of sets) {
  const emoji = JSON.parse(fs.readFileSync(path.join(dir, "emoji.json"), "utf8"))
    .filter((e) => e[`has_img_${set}`] && e.category !== "Component")
    .sort((a, b) => a.sort_order - b.sort_order);
  const counts = {};
  for (const e of emoji) {
    const name = folder(e.category);
    counts[name] = (counts[name] ?? 0) + 1;
    if (counts[name] > limit) continue;
    const target = path.join(out, part, name);
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(path.join(dir, "img", set, "64", e.image), path.join(target, e.image));
  }
  console.log(`${part || "all"} (${set}): ${Object.entries(counts).map(([k, v]) => `${k} ${Math.min(v, limit)}`).join(", ")}`);
}
