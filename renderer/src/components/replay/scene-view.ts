import * as THREE from 'three';
import {
  applyAgentview,
  applyOrbit,
  AGENTVIEW,
  defaultFollow,
  defaultOrbit,
  framingOrbit,
  orbitFromCamera,
  panOrbit,
  rotateOrbit,
  TABLE_CENTRE,
  TABLE_TOP_Z,
  zoomOrbit,
  type CameraMode,
  type Orbit,
} from './camera-rig.js';
import { posesAt } from './frame.js';
import { buildScene, type BuiltScene } from './geometry.js';
import { gripperBody, type ReplayScene } from './scene.js';

/**
 * `gpu`: multisampling, physically based shading, soft shadows, full resolution.
 * `software` (a CPU rasteriser such as SwiftShader): no multisampling, diffuse shading, hard
 * shadows, one pixel per CSS pixel at most (a HiDPI screen does not quadruple the work), and while
 * the picture moves (playing, scrubbing, orbiting) 60% of the resolution and the shadow map drawn
 * anew only every SHADOW_MS (its pass is nearly half the draw calls), with a full frame once it
 * settles. Measured in headless Chromium with SwiftShader on 2 cores: docs/benchmarks.md, "Replay
 * frame rate" (the shadow pass was the one change there that the frame's cost followed).
 */
export type RenderProfile = 'gpu' | 'software';

export interface SceneViewOptions {
  /** Called when the view changes the camera mode itself (dragging the agent view starts orbiting). */
  onCameraMode?(mode: CameraMode): void;
  profile?: RenderProfile;
  /**
   * A fixed drawing size in pixels, for an offscreen view (the video export's): no pointer input,
   * no following the page's layout, always full resolution, and the picture kept after drawing so
   * a 2D canvas can copy it whenever it wants.
   */
  size?: { width: number; height: number };
}

/** What a view's camera shows, to show the same in another view (the video export's). */
export interface CameraState {
  mode: CameraMode;
  /** The orbit the user turned, panned or zoomed to; null while it is the framing one (each view frames for its own shape). */
  orbit: Orbit | null;
  follow: Orbit;
}

/** Scene colours per app theme (styles.css's light and dark palettes): the 3D view's background, the sky light's ground colour, the floor's dimming, its grid. */
const THEME = {
  light: { background: 0xdfe3e8, skyGround: 0x8a8478, floorScale: 1, grid: 0x9aa0a8 },
  dark: { background: 0x16181d, skyGround: 0x2a2c31, floorScale: 0.35, grid: 0x4a505b },
} as const;

/** The gripper trail: an orange that reads on the light and the dark background and on the table's wood. */
const TRAIL_COLOUR = 0xff6a00;

const cloneOrbit = (o: Orbit): Orbit => ({ ...o, target: o.target.clone() });

/** Resolution scale while moving in the software profile, and how long after the last change the full-resolution frame comes. */
const MOVING_SCALE = 0.6;
const SETTLE_MS = 180;
/** While moving in the software profile, the shadows follow the bodies this often (10 times a second); every frame on a GPU. */
const SHADOW_MS = 100;

/**
 * The three.js side of replay: draws frames, nothing else. The scene's geometry is built once per
 * scene; a frame only moves the body groups and the camera. Rendering is on demand: a change asks
 * for one animation frame, and nothing is drawn while nothing changes.
 *
 * The canvas's `data-frames` counts frames drawn, `data-draw-calls` their WebGL draw calls, `data-trail` the trail's points and
 * `data-theme` the scene's theme (the end-to-end test reads them).
 */
export class SceneView {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(AGENTVIEW.fovy, 16 / 9, 0.02, 30);
  private readonly sun: THREE.DirectionalLight;
  private readonly sky: THREE.HemisphereLight;
  private built: BuiltScene | null = null;
  private follow = -1;

  private poses: Float32Array = new Float32Array(0);
  private bodies = 0;
  private rows = 0;
  private frame: Float32Array = new Float32Array(0);
  private cursor = 0;
  private posesDirty = false;

  private mode: CameraMode = 'orbit';
  private orbit: Orbit = defaultOrbit();
  /** The scene's framing orbit (computed once its start poses are placed); null until then. */
  private home: Orbit | null = null;
  private needsFraming = false;
  /** The user has turned, panned or zoomed the orbit: a later framing leaves it alone. */
  private orbitMoved = false;

  /** The grip site's path up to the cursor's step: a line over [rows x 3] points, drawn up to the step. */
  private readonly trail: THREE.Line;
  private trailRows = 0;
  private dark = false;
  private followOrbit: Orbit = defaultFollow();

  private pending = 0;
  private frames = 0;
  /** WebGL draw calls over all frames (the shadow pass's included): the work a frame asks of the GPU. */
  private drawCalls = 0;
  private readonly profile: RenderProfile;
  private readonly basePixelRatio: number;
  private lastChange = 0;
  private lastShadow = -Infinity;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly observer: ResizeObserver | null = null;
  private readonly cleanups: (() => void)[] = [];
  private readonly tmp = new THREE.Vector3();

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly options: SceneViewOptions = {},
  ) {
    this.profile = options.profile ?? 'gpu';
    const software = this.profile === 'software';
    const size = options.size;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !software, powerPreference: 'high-performance', preserveDrawingBuffer: size !== undefined });
    this.basePixelRatio = size || software ? 1 : Math.min(window.devicePixelRatio || 1, 2);
    this.renderer.setPixelRatio(this.basePixelRatio);
    this.renderer.shadowMap.enabled = true;
    // The software profile decides when the shadow map is drawn (draw()).
    this.renderer.shadowMap.autoUpdate = !software;
    this.renderer.shadowMap.type = software ? THREE.BasicShadowMap : THREE.PCFShadowMap;
    canvas.dataset.profile = this.profile;
    this.scene.background = new THREE.Color(THEME.light.background);

    // Sky light from above (z up), and a sun over the table's front left that casts the shadows.
    const sky = new THREE.HemisphereLight(0xffffff, 0x8a8478, 1.6);
    this.sky = sky;
    sky.position.set(0, 0, 1);
    this.scene.add(sky);
    this.sun = new THREE.DirectionalLight(0xffffff, 2.2);
    this.sun.position.set(1.2, 0.9, 3.2);
    this.sun.target.position.copy(TABLE_CENTRE);
    this.sun.castShadow = true;
    const s = this.sun.shadow;
    s.mapSize.set(software ? 512 : 2048, software ? 512 : 2048);
    s.camera.left = -1.2;
    s.camera.right = 1.2;
    s.camera.top = 1.2;
    s.camera.bottom = -1.2;
    s.camera.near = 0.5;
    s.camera.far = 6;
    // Texels of ~4.7 mm (software) or ~1.2 mm (gpu): offsets against shadow acne on the arm's round links.
    s.bias = software ? -0.002 : -0.0005;
    s.normalBias = software ? 0.03 : 0.012;
    this.scene.add(this.sun, this.sun.target);

    const trailGeometry = new THREE.BufferGeometry();
    trailGeometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(0), 3));
    this.trail = new THREE.Line(trailGeometry, new THREE.LineBasicMaterial({ color: TRAIL_COLOUR, depthTest: false, transparent: true }));
    this.trail.name = 'gripper-trail';
    this.trail.frustumCulled = false;
    this.trail.renderOrder = 1; // drawn over the arm (no depth test), so the path stays visible behind it
    // A dot per step on the same points: WebGL draws lines one pixel wide, the dots make the path readable.
    const dots = new THREE.Points(trailGeometry, new THREE.PointsMaterial({ color: TRAIL_COLOUR, size: 4, sizeAttenuation: false, depthTest: false, transparent: true }));
    dots.frustumCulled = false;
    dots.renderOrder = 1;
    this.trail.add(dots);
    this.scene.add(this.trail);

    this.camera.up.set(0, 0, 1);
    if (!size) this.listen();
    if (!size && typeof ResizeObserver !== 'undefined' && canvas.parentElement) {
      this.observer = new ResizeObserver(() => this.resize());
      this.observer.observe(canvas.parentElement);
    }
    this.resize();
  }

  /** Builds the scene's geometry (once per scene). */
  setScene(scene: ReplayScene): void {
    if (this.built) {
      this.scene.remove(this.built.root);
      this.built.dispose();
    }
    this.built = buildScene(scene, this.profile === 'software' ? 'lambert' : 'standard');
    this.scene.add(this.built.root);
    this.follow = gripperBody(scene);
    this.posesDirty = true;
    this.needsFraming = true;
    this.applyTheme();
    this.requestRender();
  }

  /** The grip site's world positions, [rows x 3] (the proprio's first three columns). */
  setTrail(points: Float32Array, rows: number): void {
    const geometry = this.trail.geometry;
    geometry.setAttribute('position', new THREE.BufferAttribute(points, 3));
    geometry.setDrawRange(0, 0);
    this.trailRows = rows;
    this.posesDirty = true;
    this.requestRender();
  }

  /** Background, floor and lights for the app's light or dark theme. */
  setDark(dark: boolean): void {
    if (dark === this.dark) return;
    this.dark = dark;
    this.applyTheme();
    this.requestRender();
  }

  /** The episode's body poses, [rows x bodies x 7] (xyz + wxyz). */
  setPoses(poses: Float32Array, bodies: number, rows: number): void {
    this.poses = poses;
    this.bodies = bodies;
    this.rows = rows;
    this.frame = new Float32Array(bodies * 7);
    this.posesDirty = true;
    this.requestRender();
  }

  setCursor(cursor: number): void {
    if (cursor === this.cursor && !this.posesDirty) return;
    this.cursor = cursor;
    this.posesDirty = true;
    this.moved();
  }

  setCameraMode(mode: CameraMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.requestRender();
  }

  /** What the camera shows now: its mode and orbits. */
  cameraState(): CameraState {
    return { mode: this.mode, orbit: this.orbitMoved ? cloneOrbit(this.orbit) : null, follow: cloneOrbit(this.followOrbit) };
  }

  /** Shows what another view's camera shows (an orbit still at its framing is framed anew for this view's shape). */
  setCameraState(state: CameraState): void {
    this.mode = state.mode;
    if (state.orbit) {
      this.orbit = cloneOrbit(state.orbit);
      this.orbitMoved = true;
    }
    this.followOrbit = cloneOrbit(state.follow);
    this.requestRender();
  }

  /**
   * Draws the scene at `cursor` now, not at the next animation frame, and returns the canvas: a
   * caller copies the picture from it (the video export, one frame per step).
   */
  drawAt(cursor: number): HTMLCanvasElement {
    this.cursor = cursor;
    this.posesDirty = true;
    if (this.pending) cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.draw();
    return this.canvas;
  }

  /** Back to the mode's starting view. */
  resetCamera(): void {
    if (this.mode === 'orbit') {
      this.orbit = this.home ? cloneOrbit(this.home) : defaultOrbit();
      this.orbitMoved = false;
    }
    if (this.mode === 'follow') this.followOrbit = defaultFollow();
    this.requestRender();
  }

  requestRender(): void {
    // An offscreen view draws only when asked to (drawAt).
    if (this.pending || this.options.size) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  /** Something moved: draw soon, and in the software profile at the moving resolution until it settles. */
  private moved(): void {
    this.lastChange = performance.now();
    if (this.profile === 'software') {
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => this.requestRender(), SETTLE_MS + 20);
    }
    this.requestRender();
  }

  dispose(): void {
    clearTimeout(this.settleTimer);
    if (this.pending) cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.observer?.disconnect();
    this.cleanups.splice(0).forEach((c) => c());
    if (this.built) this.built.dispose();
    this.built = null;
    this.trail.geometry.dispose();
    this.trail.traverse((o) => ((o as THREE.Line | THREE.Points).material as THREE.Material | undefined)?.dispose());
    this.sun.shadow.map?.dispose();
    this.renderer.dispose();
    // The canvas goes with the view: free its context now rather than at collection (browsers cap live contexts).
    this.renderer.forceContextLoss();
  }

  private draw(): void {
    if (this.posesDirty && this.built && this.rows > 0) {
      posesAt(this.poses, this.bodies, this.rows, this.cursor, this.frame);
      const groups = this.built.bodies;
      const n = Math.min(groups.length, this.bodies);
      for (let b = 0; b < n; b++) {
        const o = b * 7;
        const g = groups[b]!;
        g.position.set(this.frame[o]!, this.frame[o + 1]!, this.frame[o + 2]!);
        g.quaternion.set(this.frame[o + 4]!, this.frame[o + 5]!, this.frame[o + 6]!, this.frame[o + 3]!); // wxyz -> xyzw
      }
      if (this.needsFraming) this.frameWorkspace();
    }
    if (this.posesDirty) {
      const points = Math.min(this.trailRows, Math.floor(this.cursor + 1e-6) + 1);
      this.trail.geometry.setDrawRange(0, points);
      this.canvas.dataset.trail = String(points);
    }
    this.posesDirty = false;
    if (this.profile === 'software') {
      const now = performance.now();
      const moving = !this.options.size && now - this.lastChange < SETTLE_MS;
      const ratio = this.basePixelRatio * (moving ? MOVING_SCALE : 1);
      if (this.renderer.getPixelRatio() !== ratio) this.renderer.setPixelRatio(ratio);
      if (!moving || now - this.lastShadow >= SHADOW_MS) {
        this.renderer.shadowMap.needsUpdate = true;
        this.lastShadow = now;
      }
    }
    this.placeCamera();
    this.renderer.render(this.scene, this.camera);
    this.frames++;
    this.drawCalls += this.renderer.info.render.calls;
    this.canvas.dataset.frames = String(this.frames);
    this.canvas.dataset.drawCalls = String(this.drawCalls);
  }

  /** The default orbit frames the table, the objects and the robot as they stand (the room's floor and walls left out). */
  private frameWorkspace(): void {
    if (!this.built) return;
    this.needsFraming = false;
    const box = new THREE.Box3();
    this.built.root.updateMatrixWorld(true);
    for (const group of this.built.bodies) {
      if (group.name === 'world') continue;
      group.traverse((o) => {
        if (o instanceof THREE.Mesh && o.name !== 'floor' && o.name !== 'room') box.expandByObject(o);
      });
    }
    // From just under the table top up: the table's legs and the robot's pedestal add height, not workspace.
    if (!box.isEmpty()) box.min.z = Math.min(Math.max(box.min.z, TABLE_TOP_Z - 0.15), box.max.z);
    this.home = framingOrbit(box, this.camera.fov, this.camera.aspect);
    this.canvas.dataset.framed = [...box.min.toArray(), ...box.max.toArray()].map((v) => v.toFixed(2)).join(' ');
    if (!this.orbitMoved) this.orbit = cloneOrbit(this.home);
  }

  private applyTheme(): void {
    const t = this.dark ? THEME.dark : THEME.light;
    this.canvas.dataset.theme = this.dark ? 'dark' : 'light';
    (this.scene.background as THREE.Color).set(t.background);
    this.sky.groundColor.set(t.skyGround);
    this.built?.root.traverse((o) => {
      // The floor and walls keep their scene colours in light mode and are dimmed in dark mode; the grid follows.
      if (o instanceof THREE.Mesh && (o.name === 'floor' || o.name === 'room')) {
        const m = o.material as THREE.MeshStandardMaterial;
        const own = (m.userData.own ??= m.color.clone()) as THREE.Color;
        m.color.copy(own).multiplyScalar(t.floorScale);
      } else if (o instanceof THREE.LineSegments && o.name === 'floor-grid') (o.material as THREE.LineBasicMaterial).color.set(t.grid);
    });
  }

  private placeCamera(): void {
    switch (this.mode) {
      case 'agentview':
        this.camera.fov = AGENTVIEW.fovy;
        this.camera.updateProjectionMatrix();
        applyAgentview(this.camera);
        break;
      case 'follow': {
        const group = this.built?.bodies[this.follow];
        if (group) this.followOrbit.target.copy(group.getWorldPosition(this.tmp));
        applyOrbit(this.camera, this.followOrbit);
        break;
      }
      case 'orbit':
        applyOrbit(this.camera, this.orbit);
        break;
    }
  }

  private resize(): void {
    const parent = this.canvas.parentElement;
    const fixed = this.options.size;
    const width = Math.max(1, Math.floor(fixed?.width ?? parent?.clientWidth ?? this.canvas.clientWidth ?? 640));
    const height = Math.max(1, Math.floor(fixed?.height ?? parent?.clientHeight ?? this.canvas.clientHeight ?? 360));
    const size = this.renderer.getSize(new THREE.Vector2());
    if (size.x === width && size.y === height) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    // The framing depends on the view's shape: fit again, unless the user has moved the orbit.
    if (this.home && !this.orbitMoved) {
      this.needsFraming = true;
      this.posesDirty = true;
    }
    this.requestRender();
  }

  private activeOrbit(): Orbit {
    if (this.mode === 'agentview') {
      // Dragging the agent view starts orbiting from exactly what it shows.
      this.orbit = orbitFromCamera(this.camera);
      this.mode = 'orbit';
      this.options.onCameraMode?.('orbit');
    }
    return this.mode === 'follow' ? this.followOrbit : this.orbit;
  }

  private listen(): void {
    const canvas = this.canvas;
    let drag: { x: number; y: number; pan: boolean; id: number } | null = null;
    const on = <K extends keyof HTMLElementEventMap>(type: K, handler: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      canvas.addEventListener(type, handler, opts);
      this.cleanups.push(() => canvas.removeEventListener(type, handler, opts));
    };
    on('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, pan: e.button === 2 || e.shiftKey, id: e.pointerId };
      canvas.setPointerCapture?.(e.pointerId);
    });
    on('pointermove', (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (dx === 0 && dy === 0) return;
      const orbit = this.activeOrbit();
      if (this.mode !== 'follow') this.orbitMoved = true;
      if (drag.pan && this.mode === 'orbit') panOrbit(orbit, this.camera, dx, dy, canvas.clientHeight);
      else rotateOrbit(orbit, dx, dy);
      this.moved();
    });
    const end = (e: PointerEvent) => {
      if (drag && e.pointerId === drag.id) drag = null;
    };
    on('pointerup', end);
    on('pointercancel', end);
    on(
      'wheel',
      (e) => {
        e.preventDefault();
        zoomOrbit(this.activeOrbit(), e.deltaY);
        if (this.mode === 'orbit') this.orbitMoved = true;
        this.moved();
      },
      { passive: false },
    );
    on('contextmenu', (e) => e.preventDefault());
    on('dblclick', () => this.resetCamera());
    const lost = (e: Event) => e.preventDefault();
    const restored = () => {
      this.posesDirty = true;
      this.requestRender();
    };
    canvas.addEventListener('webglcontextlost', lost);
    canvas.addEventListener('webglcontextrestored', restored);
    this.cleanups.push(() => {
      canvas.removeEventListener('webglcontextlost', lost);
      canvas.removeEventListener('webglcontextrestored', restored);
    });
  }
}
