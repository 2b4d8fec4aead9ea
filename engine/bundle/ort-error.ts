/**
 * onnxruntime's messages run over several lines and start with a source location and a failed
 * check ("/onnxruntime_src/...cc:136 ... was false. Failed to get a WebGPU adapter: ..."); keep
 * the sentence that says what failed.
 */
export function ortErrorSentence(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return /^\/\S+:\d+ .* was false\. (.+)$/.exec(text)?.[1] ?? text;
}
