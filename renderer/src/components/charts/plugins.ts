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

/** uPlot's x series for a categorical axis (0..n-1), shown in the legend through `name`. */
export function categoryRange(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  return [min - 0.5, max + 0.5];
}
