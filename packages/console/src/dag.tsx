import dagre from '@dagrejs/dagre';

export interface DagNode {
  id: string;
  label: string;
  status: string;
  /** 1 for the first task undone, 2 for the next…; undefined when not undone. */
  undoneOrder?: number;
}

const WIDTH = 170;
const HEIGHT = 64;

/**
 * The plan as our own SVG, laid out by dagre (loaded with this module, only on the detail page). Each node
 * carries its status in text, so colour is never the only signal.
 */
export function Dag({ nodes, edges, selected, onSelect }: { nodes: DagNode[]; edges: [string, string][]; selected?: string; onSelect: (id: string) => void }) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT });
  for (const [from, to] of edges) if (g.hasNode(from) && g.hasNode(to)) g.setEdge(from, to);
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph();
  return (
    <svg class="dag" viewBox={`0 0 ${width} ${height}`} width={width} role="group" aria-label="Task graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="dag-arrow" />
        </marker>
      </defs>
      {g.edges().map((e) => {
        const points = g.edge(e).points ?? [];
        return <polyline class="dag-edge" points={points.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(' ')} marker-end="url(#arrow)" />;
      })}
      {nodes.map((n) => {
        const { x, y } = g.node(n.id);
        const left = x - WIDTH / 2;
        const top = y - HEIGHT / 2;
        const status = n.undoneOrder ? `${n.status} · undone #${n.undoneOrder}` : n.status;
        return (
          <g
            class={`dag-node${selected === n.id ? ' selected' : ''}`}
            data-task={n.id}
            data-status={n.status}
            data-undone={n.undoneOrder ?? ''}
            role="button"
            tabIndex={0}
            onClick={() => onSelect(n.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') onSelect(n.id);
            }}
          >
            <rect x={left} y={top} width={WIDTH} height={HEIGHT} rx="8" />
            <text x={x} y={top + 22} text-anchor="middle" class="dag-title">
              {n.id} · {n.label}
            </text>
            <text x={x} y={top + 44} text-anchor="middle" class="dag-status">
              {status}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
