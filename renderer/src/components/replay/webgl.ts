/** What a probe of this browser's WebGL found. */
export interface WebglSupport {
  available: boolean;
  /** The renderer's name where the browser tells it (e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))"). */
  renderer: string | null;
  /** A CPU rasteriser (SwiftShader, llvmpipe, ...): replay draws with a lighter profile there. */
  software: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render driver|microsoft basic/i;

let probed: WebglSupport | undefined;

/**
 * Whether this browser can draw WebGL at all (jsdom cannot; nor can a machine without a GPU and
 * without a software fallback), and whether it does so in software. Probed once: every probe holds
 * a context until it is collected.
 */
export function probeWebgl(win: (Window & { WebGLRenderingContext?: unknown }) | null = typeof window === 'undefined' ? null : window): WebglSupport {
  if (probed) return probed;
  const none: WebglSupport = { available: false, renderer: null, software: false };
  if (!win || typeof win.WebGLRenderingContext === 'undefined') return (probed = none);
  try {
    const canvas = win.document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return (probed = none);
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return (probed = { available: true, renderer, software: renderer !== null && SOFTWARE.test(renderer) });
  } catch {
    return (probed = none);
  }
}
