import type uPlot from 'uplot';

/** Dashed vertical lines at these x values (chunk boundaries), under the series. */
export function verticalMarks(xs: readonly number[], colour: string): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx, bbox } = u;
        ctx.save();
        ctx.strokeStyle = colour;
        ctx.lineWidth = 1;
        ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath();
        for (const x of xs) {
          const px = Math.round(u.valToPos(x, 'x', true)) + 0.5;
          if (px < bbox.left || px > bbox.left + bbox.width) continue;
          ctx.moveTo(px, bbox.top);
          ctx.lineTo(px, bbox.top + bbox.height);
        }
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/**
 * An x range wider than the data (bars' edges, a fixed 0–100%) when showing all of it, and the
 * asked range when zoomed: uPlot calls the x scale's range function for a zoom too.
 */
export function fullRange(first: number | undefined, last: number | undefined, full: [number, number]): uPlot.Range.Function {
  return (_u, min, max) => {
    const zoomed = max > min && min > full[0] - 1e-9 && max < full[1] + 1e-9 && !(min === first && max === last);
    return zoomed ? [min, max] : full;
  };
}

/** Adds an interval's whisker (a vertical line from lo to hi, capped at both ends) to the canvas path being built. */
export function whiskerPath(ctx: CanvasRenderingContext2D, cx: number, lo: number, hi: number, cap: number): void {
  ctx.moveTo(cx, lo);
  ctx.lineTo(cx, hi);
  ctx.moveTo(cx - cap, lo);
  ctx.lineTo(cx + cap, lo);
  ctx.moveTo(cx - cap, hi);
  ctx.lineTo(cx + cap, hi);
}
