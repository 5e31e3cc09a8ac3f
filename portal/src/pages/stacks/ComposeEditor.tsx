// The compose file editor: CodeMirror 6 with YAML highlighting, line numbers, undo and the marks
// of diagnose.ts. Tab is left to the browser (it moves focus, so keyboard users are never trapped);
// Enter keeps the indentation.

import { useEffect, useRef } from 'react';
import { EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import type { Diagnostic } from './diagnose';

const theme = EditorView.theme({
  '&': { border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-sm)', fontSize: '13px', backgroundColor: 'var(--mantine-color-body)', color: 'var(--mantine-color-text)' },
  '&.cm-focused': { outline: '2px solid var(--mantine-primary-color-filled)' },
  '.cm-scroller': { fontFamily: 'var(--mantine-font-family-monospace)', minHeight: '320px', maxHeight: '60vh' },
  '.cm-gutters': { backgroundColor: 'var(--mantine-color-default-hover)', color: 'var(--mantine-color-text)', border: 'none' },
});

export function ComposeEditor({ value, onChange, diagnostics, label, describedBy }: { value: string; onChange: (text: string) => void; diagnostics: Diagnostic[]; label: string; describedBy: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          indentOnInput(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle),
          yaml(),
          lintGutter(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          theme,
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-describedby': describedBy }),
          EditorView.updateListener.of((u) => u.docChanged && changed.current(u.state.doc.toString())),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
    // Made once: the editor owns its text from here on; a new value from outside replaces it (below).
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const length = v.state.doc.length;
    v.dispatch(setDiagnostics(v.state, diagnostics.map((d) => ({ from: Math.min(d.from, length), to: Math.min(d.to, length), severity: 'error', message: `Line ${d.line}: ${d.message}` }))));
  }, [diagnostics]);

  return <div ref={host} />;
}
