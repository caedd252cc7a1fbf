/**
 * run in Python behaves like a file: blank lines inside blocks, statements
 * after a dedented block, exit 1 exactly when an exception reached the top
 * level, output lines equal to ">>> " kept, values shown as the REPL shows
 * them; in the basic REPL and, where this machine has one, the 3.13+ REPL.
 */
import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { Sandbox } from "./helpers.ts";
import { PYTHON, python313, runJson, started } from "./fixtures/run_panes.ts";

/** Code, the output it gives, and its exit status. */
const CASES: [string, string, string, number][] = [
  ["a blank line inside a def", "def f(x):\n\n    return 2 * x\n\nprint(f(21))", "42", 0],
  ["a statement after a dedented block", "if True:\n    print(1)\nprint(2)", "1\n2", 0],
  [
    "a class with blank lines, then a call",
    "class A:\n\n    def v(self):\n\n        return 'v'\nA().v()",
    "'v'",
    0,
  ],
  ["an expression's value, and _", "6 * 7\nprint(_ + 1)", "42\n43", 0],
  ['output lines equal to ">>> " and "... "', 'print(">>> ")\nprint("... ")', ">>> \n... ", 0],
  [
    "the text of a traceback header printed",
    'print("Traceback (most recent call last):")',
    "Traceback (most recent call last):",
    0,
  ],
  [
    "an exception caught inside",
    "try:\n    1/0\nexcept ZeroDivisionError:\n    print('caught')",
    "caught",
    0,
  ],
  [
    "an exception at the top level",
    "x = 1\n1/0",
    'Traceback (most recent call last):\n  File "<stdin>", line 2, in <module>\nZeroDivisionError: division by zero',
    1,
  ],
  [
    "a syntax error",
    "print(1)\n1 +* 2",
    '  File "<stdin>", line 2\n    1 +* 2\n       ^\nSyntaxError: invalid syntax',
    1,
  ],
];

async function pythonCases(t: Deno.TestContext, python: string[]): Promise<void> {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "py", python, ">>> ");
  for (const [what, code, output, status] of CASES) {
    await t.step(`${what}: exit ${status}`, async () => {
      const { r, out } = await runJson(box, sock, "py", ["-T", "20", "-c", code]);
      equal(r.code, status, r.stderr);
      equal(out.output, output);
    });
  }
  await t.step("the names it defined stay; its own do not", async () => {
    const { out } = await runJson(box, sock, "py", [
      "-c",
      "print(x, f(1), sorted(k for k in ('S', 'B', 'w', 'r', 'c', 'b', 'm', 'n') if k in globals()))",
    ]);
    equal(out.output, "1 2 []");
  });
  await t.step("the pane shows the code as typed, never the driver", async () => {
    await runJson(box, sock, "py", ["-c", "for i in range(2):\n    print('row', i)"]);
    const all = await box.tmux(sock, "capture-pane", "-p", "-J", "-S", "-", "-t", "py");
    equal(all.includes("exec("), false, all);
    equal(
      all.includes(">>> for i in range(2):\n...     print('row', i)\nrow 0\nrow 1\n"),
      true,
      all,
    );
  });
  await t.step("pdb.pm() finds the last exception", async () => {
    const { out } = await runJson(box, sock, "py", [
      "-c",
      "import sys; print(type(sys.last_value).__name__)",
    ]);
    equal(out.output, "SyntaxError");
  });
}

Deno.test("Python's basic REPL runs code as a file would", async (t) => {
  await pythonCases(t, PYTHON);
});

const newRepl = await python313();
Deno.test({
  name: "Python 3.13's REPL runs code as a file would",
  ignore: newRepl === undefined,
  async fn(t) {
    await pythonCases(t, [newRepl!, "-q"]);
  },
});

Deno.test("Python: a long program and a SystemExit", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "py", PYTHON, ">>> ");
  await t.step("200 lines of code with blocks, in one run", async () => {
    const code = Array.from({ length: 100 }, (_, i) =>
      `def f${i}():\n    return ${i}`).join("\n\n") +
      "\nprint(sum(f() for f in [" + Array.from({ length: 100 }, (_, i) => `f${i}`).join(", ") +
      "]))";
    const { r, out } = await runJson(box, sock, "py", ["-T", "20", "-c", code]);
    equal(r.code, 0, r.stderr);
    equal(out.output, "4950");
  });
  await t.step("SystemExit(3) ends the REPL: status 3 (completed, or the pane gone)", async () => {
    const { r, out } = await runJson<{ exit_code: number }>(box, sock, "py", [
      "-c",
      "raise SystemExit(3)",
    ]);
    // The end mark (status 3) and the pane's end race: either way the status is 3.
    assertEquals([r.code, out.exit_code], [3, 3]);
  });
});
