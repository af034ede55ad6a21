import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import type { Topology } from '../../src/traffic/service-graph.js';
import { ms, pct } from './format.js';

cytoscape.use(dagre);

export interface GraphHandle {
  update(t: Topology): void;
  destroy(): void;
}

/** Heat 0..1 from white to red: the share of the window's anomalous traces that blame the service first. */
function heatColor(share: number): string {
  const s = Math.max(0, Math.min(1, share));
  // Comma syntax: cytoscape's colour parser does not read the space-separated form.
  return `hsl(0, ${Math.round(20 + 70 * s)}%, ${Math.round(97 - 42 * s)}%)`;
}

/** An edge's label: its RED in one line (rate, errors, p95). */
export function redLabel(e: Topology['edges'][number]): string {
  return `${e.callsPerMin.toFixed(e.callsPerMin < 10 ? 1 : 0)}/min · ${pct(e.errorRate)} err · p95 ${ms(e.p95Ms)}`;
}

/**
 * The service graph, callers above callees (dagre's layered layout). Node fill is anomaly heat, edge width
 * grows with the call rate and edges with errors are red. `open` is told the service a click picked.
 * After every layout, pan, zoom or new figures the container's `data-nodes` holds each node's on-screen centre
 * (a canvas has no element per node, and the browser test clicks nodes where they are drawn) and `data-fills`
 * its colour.
 */
export function mountGraph(container: HTMLElement, open: (service: string) => void): GraphHandle {
  const cy = cytoscape({
    container,
    minZoom: 0.3,
    maxZoom: 2.5,
    wheelSensitivity: 0.3,
    style: [
      {
        selector: 'node',
        style: {
          shape: 'round-rectangle',
          width: 'label',
          height: 34,
          padding: '10px',
          label: 'data(label)',
          'text-valign': 'center',
          'text-wrap': 'wrap',
          'font-size': 11,
          color: '#1d2330',
          'background-color': 'data(fill)',
          'border-width': 1.5,
          'border-color': 'data(border)',
        },
      },
      {
        selector: 'edge',
        style: {
          width: 'data(width)',
          'curve-style': 'bezier',
          'target-arrow-shape': 'triangle',
          'line-color': 'data(color)',
          'target-arrow-color': 'data(color)',
          label: '',
          'font-size': 9,
          color: '#6b7385',
          'text-background-color': '#f7f8fa',
          'text-background-opacity': 0.85,
          'text-rotation': 'autorotate',
        },
      },
      // Twenty-odd RED labels at once are unreadable: failing edges and the one under the pointer show
      // theirs, the table under the graph lists them all.
      { selector: 'edge.failing, edge.hover', style: { label: 'data(label)' } },
      { selector: 'edge.hover', style: { color: '#1d2330', 'z-index': 10 } },
      { selector: 'node:active', style: { 'overlay-opacity': 0.12 } },
    ],
  });
  const publish = () => {
    const at: Record<string, [number, number]> = {};
    const fills: Record<string, string> = {};
    cy.nodes().forEach((n) => {
      const p = n.renderedPosition();
      at[n.id()] = [Math.round(p.x), Math.round(p.y)];
      fills[n.id()] = n.data('fill') as string;
    });
    container.dataset.nodes = JSON.stringify(at);
    // Likewise each node's heat colour as drawn, which the canvas does not expose either.
    container.dataset.fills = JSON.stringify(fills);
  };
  cy.on('tap', 'node', (e) => open(e.target.id()));
  cy.on('mouseover', 'edge', (e) => e.target.addClass('hover'));
  cy.on('mouseout', 'edge', (e) => e.target.removeClass('hover'));
  cy.on('viewport', publish);
  cy.on('layoutstop', publish);
  let shape = '';

  return {
    update(t) {
      const heatTotal = Math.max(1, ...t.nodes.map((n) => n.heat));
      const maxRate = Math.max(1e-9, ...t.edges.map((e) => e.callsPerMin));
      const known = new Set(t.nodes.map((n) => n.service));
      const elements: cytoscape.ElementDefinition[] = [
        ...t.nodes.map((n) => ({
          data: {
            id: n.service,
            label: `${n.service}\n${n.heat > 0 ? `caused ${n.heat}` : `${n.anomalous} anomalous`}`,
            fill: heatColor(n.heat / heatTotal),
            border: n.errorRate > 0.05 ? '#c62828' : '#9aa3b5',
          },
        })),
        // An edge to a service with no entry spans of its own (a database, a queue) still needs its node.
        ...[...new Set(t.edges.flatMap((e) => [e.from, e.to]))]
          .filter((s) => !known.has(s))
          .map((s) => ({ data: { id: s, label: s, fill: '#ffffff', border: '#9aa3b5' } })),
        ...t.edges.map((e) => ({
          classes: e.errorRate > 0.01 ? 'failing' : '',
          data: {
            id: `${e.from}->${e.to}`,
            source: e.from,
            target: e.to,
            label: redLabel(e),
            width: 1 + 5 * Math.sqrt(e.callsPerMin / maxRate),
            color: e.errorRate > 0.01 ? '#c62828' : '#9aa3b5',
          },
        })),
      ];
      // Same services and edges: new figures only, the layout (and where the reader looked) stays.
      const next = elements
        .map((el) => el.data.id)
        .sort()
        .join('|');
      if (next === shape) {
        for (const el of elements) {
          const found = cy.getElementById(el.data.id!);
          found.data(el.data);
          found.toggleClass('failing', el.classes === 'failing');
        }
        publish();
        return;
      }
      shape = next;
      cy.elements().remove();
      cy.add(elements);
      cy.layout({
        name: 'dagre',
        rankDir: 'TB',
        nodeSep: 30,
        rankSep: 70,
        padding: 20,
      } as cytoscape.LayoutOptions).run();
    },
    destroy: () => cy.destroy(),
  };
}
