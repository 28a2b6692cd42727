/** The word rule's ASCII shortcut gives exactly what the full rule gives. */
import { describe, expect, it } from "vitest";
import { random } from "../../bench/generate.ts";
import { words, wordsSlowly } from "../../src/search/words.ts";

describe("words: the ASCII shortcut", () => {
  it("agrees with the full rule on 20,000 random ASCII strings, LaTeX and controls included", () => {
    const rand = random(7);
    const pieces = ["$", "\\", "^", "{", "}", "textbf{", "\\alpha", "_", " ", "-", ".", "/", "é"];
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      const length = Math.floor(rand() * 60);
      for (let i = 0; i < length; i++) {
        text +=
          rand() < 0.2
            ? (pieces[Math.floor(rand() * (pieces.length - 1))] as string)
            : String.fromCharCode(Math.floor(rand() * 128));
      }
      expect(words(text), JSON.stringify(text)).toEqual(wordsSlowly(text));
    }
  });

  it("agrees on long words (cut to 64) and real titles", () => {
    for (const text of [
      "x".repeat(200),
      "Qwen2.5-7B-Instruct 2D/3D U-Net/Transformer",
      "$\\text{Transformer}^2$: Self-adaptive LLMs",
      "LLM$\\times$MapReduce: Simplified Long-Sequence Processing",
    ]) {
      expect(words(text)).toEqual(wordsSlowly(text));
    }
  });
});
