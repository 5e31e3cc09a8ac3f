// The decision tree for one group of tasks (swarmkit design/topology.md). Each spread
// preference adds a level whose branches are the label's values (a node without the label
// counts as the empty value); the leaves hold heaps of the feasible nodes. A task goes down the
// branch with the fewest tasks of its service at every level, then to the leaf's best node:
// fewest tasks of the service, then fewest tasks overall, then node ID order. Without
// preferences the tree is a single leaf.

import { MinHeap } from './heap.js';
import type { SpreadLevel } from './requirements.js';
import type { Workspace } from './workspace.js';

interface Branch {
  /** Tasks of the service on all nodes under this branch, feasible or not, as Swarm counts. */
  count: number;
  /** Position of the branch's label value among its siblings' (sorted): the tie-break. */
  order: number;
  nodes?: MinHeap<number>;
  children?: MinHeap<Branch>;
}

interface Draft {
  count: number;
  nodes: number[];
  children?: Map<string, Draft>;
}

const branchLess = (a: Branch, b: Branch): boolean => a.count < b.count || (a.count === b.count && a.order < b.order);

function isEmpty(b: Branch): boolean {
  return (b.nodes ?? b.children)!.size === 0;
}

export class SpreadTree {
  readonly #root: Branch;
  readonly #path: Branch[] = [];

  /**
   * serviceCounts and ws.total must stay current while the tree is used: the caller bumps
   * serviceCounts[i] whenever it places a task on node i.
   */
  constructor(ws: Workspace, levels: readonly SpreadLevel[], feasible: Uint8Array, serviceCounts: Int32Array) {
    const total = ws.total;
    const nodeLess = (a: number, b: number): boolean => {
      const sa = serviceCounts[a]!;
      const sb = serviceCounts[b]!;
      if (sa !== sb) return sa < sb;
      const ta = total[a]!;
      const tb = total[b]!;
      return ta !== tb ? ta < tb : a < b;
    };
    const root: Draft = { count: 0, nodes: [] };
    for (let i = 0; i < ws.size; i++) {
      let d = root;
      if (levels.length > 0) {
        const node = ws.infos[i]!.node;
        for (const level of levels) {
          const labels = level.source === 'node' ? node.Spec.Labels : node.Description.Engine?.Labels;
          const value = labels?.[level.label] ?? '';
          d.children ??= new Map();
          let next = d.children.get(value);
          if (!next) d.children.set(value, (next = { count: 0, nodes: [] }));
          next.count += serviceCounts[i]!;
          d = next;
        }
      }
      if (feasible[i] === 1) d.nodes.push(i);
    }
    const finish = (d: Draft, order: number): Branch => {
      if (!d.children) return { count: d.count, order, nodes: new MinHeap(d.nodes, nodeLess) };
      const keys = [...d.children.keys()].sort();
      const kids = keys.map((k, pos) => finish(d.children!.get(k)!, pos)).filter((b) => !isEmpty(b));
      return { count: d.count, order, children: new MinHeap(kids, branchLess) };
    };
    this.#root = finish(root, 0);
  }

  get empty(): boolean {
    return isEmpty(this.#root);
  }

  /** best returns the node the next task should go to; the tree must not be empty. */
  best(): number {
    this.#path.length = 0;
    let b = this.#root;
    while (b.children) {
      this.#path.push(b);
      b = b.children.peek()!;
    }
    this.#path.push(b);
    return b.nodes!.peek()!;
  }

  /**
   * placed records that a task went to the node best() returned; stillFits says whether that
   * node can take another task of this group. Nodes and branches with no room leave the tree.
   */
  placed(stillFits: boolean): void {
    const path = this.#path;
    const leaf = path[path.length - 1]!;
    if (stillFits) leaf.nodes!.fixTop();
    else leaf.nodes!.pop();
    leaf.count++;
    for (let k = path.length - 2; k >= 0; k--) {
      const parent = path[k]!;
      parent.count++;
      if (isEmpty(path[k + 1]!)) parent.children!.pop();
      else parent.children!.fixTop();
    }
  }
}
