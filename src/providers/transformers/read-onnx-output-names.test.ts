import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OnnxGraph } from "../../../test/support/onnx/onnx-graph.ts";
import { readOnnxOutputNames } from "./read-onnx-output-names.ts";

describe("readOnnxOutputNames", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "station-onnx-outputs-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** A graph whose weights (1 MiB, more than the reader's buffer) lie between its nodes and its outputs. */
  const write = (name: string) => {
    const graph = new OnnxGraph("g");
    const x = graph.input("x", "float", ["batch", 512]);
    const y = graph.node("MatMul", [x, graph.weight([512, 512])]);
    graph.output(y, "logits", "float", ["batch", 512]);
    graph.output(graph.node("Relu", [y]), "cross_attentions.0", "float", ["batch", 512]);
    const file = path.join(directory, name);
    writeFileSync(file, graph.toBytes());
    return file;
  };

  it("reads the main graph's output names in order, skipping the weights", async () => {
    expect(await readOnnxOutputNames(write("model.onnx"))).toEqual(["logits", "cross_attentions.0"]);
  });

  it("throws on a truncated graph and on a file that is not ONNX", async () => {
    const file = write("cut.onnx");
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    await expect(readOnnxOutputNames(file)).rejects.toThrow(/not an ONNX model/);
    const text = path.join(directory, "text.onnx");
    writeFileSync(text, "version https://git-lfs.github.com/spec/v1\n");
    await expect(readOnnxOutputNames(text)).rejects.toThrow(/not an ONNX model/);
  });
});
