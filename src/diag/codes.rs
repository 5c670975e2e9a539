//! The registry of diagnostic codes: every code nmc reports, with a
//! one-line title and the long explanation `nmc explain CODE` prints.
//!
//! Codes are grouped by the stage that reports them: `E00xx`-`E08xx` the
//! NMODL front end, the compiler and the mechanism library; `E10xx`-`E14xx`
//! the network language (NDL); `E15xx` SONATA networks; `E16xx` hoc cell
//! templates; `E17xx` SWC morphologies; `E18xx` runs embedded in
//! a program; `E19xx` the analysis commands. `E` is an error, `W` a
//! warning, `N` a note. A test (`tests/codes.rs`) checks that every code
//! named anywhere in `src/` is here, with an explanation.

/// One diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code, e.g. `E0201`.
    pub code: &'static str,
    /// What it reports, in a few words.
    pub title: &'static str,
    /// What it means, why nmc reports it and how to fix it.
    pub explanation: &'static str,
}

/// Looks a code up, ignoring case (`e0201` finds `E0201`).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim();
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

macro_rules! codes {
    ($($code:ident $title:literal => $text:literal,)*) => {
        /// Every code, grouped by the stage that reports it.
        pub const CODES: &[CodeInfo] = &[$(CodeInfo {
            code: stringify!($code),
            title: $title,
            explanation: $text,
        },)*];
    };
}

codes! {
    E0001 "a source file cannot be read" =>
"The file named on the command line (or by the network) does not exist, is a
folder, or cannot be opened (permissions). The message carries the system's
reason. Check the path; `nmc check` takes .mod, .ndl and .hoc files or
folders of .mod files.",
    E0003 "an INCLUDE file cannot be found" =>
"`INCLUDE \"name\"` looks for the file next to the including file (as
nocmodl does). The file is missing or unreadable. Put the file beside the
.mod file or correct the name.",
    E0101 "syntax error" =>
"The parser met a token it did not expect. The message says what it
expected and what it found. Common causes: C habits (`;` after a statement,
`//` comments, `**` for powers, `=` in an `if` condition), a missing `)`,
or a keyword used as a name. NMODL comments start with `:`, powers are
written `^`, and comparisons `==`.",
    E0102 "unclosed `{`" =>
"A block opened with `{` is never closed. nmc points at the block that is
never closed and at the place where its `}` was expected (usually the next
top-level block, which cannot start inside another). Add the missing `}`;
often it is missing inside the block, at the end of an `if` or a loop.",
    E0103 "unterminated COMMENT or VERBATIM" =>
"A `COMMENT` or `VERBATIM` region has no `ENDCOMMENT` / `ENDVERBATIM`, so it
runs to the end of the file. Close the region.",
    E0104 "statement outside any block" =>
"Only block keywords (NEURON, PARAMETER, ASSIGNED, STATE, INITIAL,
BREAKPOINT, DERIVATIVE, FUNCTION, PROCEDURE, ...) may appear at top level.
A misspelt block keyword (`PARAMETERS`) or a statement written outside its
block lands here; the help suggests the nearest keyword.",
    E0105 "nesting too deep" =>
"Blocks, parentheses or operators are nested deeper than nmc's parser
allows (to keep its stack bounded on machine-generated input). Split the
expression with LOCAL variables.",
    E0106 "stray `}`" =>
"A `}` closes no block: an extra brace left over from editing, or a block
whose `{` is missing after its keyword. Remove the brace or add the `{`.",
    E0107 "unknown NEURON-block statement" =>
"Inside `NEURON { }` only SUFFIX, POINT_PROCESS, ARTIFICIAL_CELL, USEION,
NONSPECIFIC_CURRENT, ELECTRODE_CURRENT, RANGE, GLOBAL, POINTER,
BBCOREPOINTER, EXTERNAL and THREADSAFE are allowed. The help suggests the
nearest keyword (`USEIONS` is `USEION`).",
    E0108 "unknown statement keyword" =>
"A word in statement position looks like a misspelt keyword (`SOLV` for
`SOLVE`). Correct the spelling as the help suggests.",
    E0109 "malformed declaration" =>
"A declaration has one of its parts twice (two units, two `< >` limit
ranges, two values). Keep one of each.",
    E0110 "INCLUDE cycle or nesting too deep" =>
"A file includes itself, directly or through others, or INCLUDEs are
nested beyond nmc's limit. Remove the cycle.",
    E0111 "stoichiometric coefficient too large" =>
"A reaction coefficient such as `2A` is implausibly large (a typo). KINETIC
schemes use small integer coefficients.",
    E0199 "internal parser error" =>
"The parser reached a state it should not: a bug in nmc. Please report it
with the file that triggers it.",
    E0201 "undefined name" =>
"A name is used but not declared anywhere in the file. Declare it in
PARAMETER or ASSIGNED (or as a LOCAL in the block), or correct the
spelling: the help lists similar declared names. Ion variables come from
USEION, physical constants such as FARADAY from the UNITS block.",
    E0202 "declared twice" =>
"The same name is declared in two places (PARAMETER and ASSIGNED, two
PROCEDUREs, or two mechanism files with one SUFFIX). Keep one declaration
or rename one of them.",
    E0203 "declared twice in one scope" =>
"A LOCAL or a parameter of a FUNCTION/PROCEDURE is declared twice in the
same scope. Remove or rename the second one.",
    E0204 "assigning a constant" =>
"The target of an assignment is a CONSTANT (or another value that cannot
change). Declare it as a PARAMETER or ASSIGNED if it must change.",
    E0206 "derivative of a non-STATE" =>
"`x' = ...` is written for a name that is not declared in STATE. Only
STATE variables have derivatives: move the name to STATE.",
    E0207 "cannot assign to this name" =>
"The name assigned is not a variable: a FUNCTION, PROCEDURE, block or
other kind of name. Assign to a variable, or call the function.",
    E0209 "current not in ASSIGNED" =>
"A current written by the mechanism (NONSPECIFIC_CURRENT or an ion's
current from USEION ... WRITE) must be declared in ASSIGNED, with its unit
(mA/cm2 for density mechanisms, nA for point processes).",
    E0210 "function used as a value" =>
"A FUNCTION (or another name that is not a value) is used without
parentheses. Call it with its arguments: `f(v)`.",
    E0211 "reactant is not a variable" =>
"A KINETIC reaction names something that is not a STATE (a FUNCTION, a
PARAMETER...). Reactions connect STATEs.",
    E0212 "not a variable of the ion" =>
"USEION x READ/WRITE lists a name that is not one of the ion's variables:
`ex`, `ix`, `xi` and `xo` for an ion `x`. Check the spelling.",
    E0301 "SOLVE of a missing block" =>
"SOLVE names a block that does not exist, or a name that is not an
equation block (a STATE, a FUNCTION). SOLVE takes the name of a DERIVATIVE,
KINETIC, LINEAR or NONLINEAR block.",
    E0302 "method does not fit the block" =>
"The integration method cannot solve that kind of block: `cnexp` solves
DERIVATIVE blocks only, KINETIC blocks need `sparse`. Choose a method the
block supports.",
    E0303 "unknown integration method" =>
"The METHOD is none nmc or NEURON knows. Common methods: cnexp,
derivimplicit, euler, sparse.",
    E0304 "wrong number of arguments" =>
"A FUNCTION, PROCEDURE or built-in (exp, net_send, ...) is called with
more or fewer arguments than it takes. Check for a misplaced comma.",
    W0305 "PROCEDURE used as a value" =>
"A PROCEDURE returns no result, yet it appears in an expression. NEURON's
C gives it the value 0 (the PROCEDURE ends with `return 0;`) after running
it; nmc does the same. Call it as a statement, or make it a FUNCTION that
assigns its result to its own name.",
    E0306 "not a function" =>
"Something that is not a FUNCTION or PROCEDURE is called: a variable, a
LOCAL, or an equation block (which is SOLVEd, not called). Remove the
parentheses or SOLVE the block.",
    E0307 "statement in the wrong block" =>
"The statement belongs elsewhere: `x' =` in DERIVATIVE, reactions and
CONSERVE in KINETIC, `~` equations in LINEAR/NONLINEAR, TABLE in a
FUNCTION or PROCEDURE (once), and a block cannot SOLVE itself.",
    E0401 "VERBATIM C code" =>
"nmc compiles NMODL itself and cannot run C code. C whose meaning is
certain is understood: code-free blocks, `return;` and `return <number>;`,
and calls of NEURON's random-number functions that NMODL also has
(`_lx = scop_random();`, `set_seed(_ls);`). Rewrite other C in NMODL; the
help says how for the common cases (random numbers, pointers).",
    W0403 "uncalled PROCEDURE/FUNCTION of VERBATIM C left out" =>
"A PROCEDURE or FUNCTION holds VERBATIM C that nmc cannot translate, but
nothing in the file calls it: in NEURON only hoc or Python reaches it
(NetStim's `noiseFromRandom123`, say). nmc compiles the mechanism without
it; calling it from hoc or NDL is not supported.",
    E0402 "method not supported by nmc" =>
"The integration method exists in NEURON but nmc does not implement it.
Use one of cnexp, derivimplicit, euler or sparse.",
    E0501 "bad UNITS definition" =>
"The right-hand side of a UNITS definition is not a unit nmc knows (often
a typo, `millimolr`). Correct the unit.",
    E0601 "construct the IR cannot express" =>
"The mechanism uses a construct nmc's compiler does not lower yet (LOCAL
arrays, second derivatives, DISCRETE blocks...). Rewrite it with
supported constructs.",
    E0602 "method not implemented" =>
"The lowering has no implementation of the SOLVE method for this block.
Use another method.",
    E0603 "value must be constant" =>
"A value that must be known at compile time (an array size, a TABLE
range) depends on a variable. Use a number or a CONSTANT.",
    E0604 "bad CONSERVE" =>
"A CONSERVE statement must be a sum of STATEs equal to an expression.
Write it as `CONSERVE a + b + c = total`.",
    E0605 "name that cannot be placed" =>
"The lowering found a name it cannot assign storage to (per instance,
global or local). Declare it in PARAMETER, ASSIGNED or STATE.",
    E0699 "internal compiler error" =>
"The IR validator found a mechanism the compiler should not produce: a bug
in nmc. Please report it with the .mod file.",
    E0702 "reactions outside METHOD sparse" =>
"KINETIC schemes are solved with `SOLVE ... METHOD sparse` (or
STEADYSTATE sparse). Change the method.",
    E0703 "ill-formed flux" =>
"A flux `<<` or a reaction involves a CONSERVEd state, or a flux names
something that is not a solved STATE.",
    E0704 "ill-formed CONSERVE" =>
"A CONSERVE names something that is not a STATE, or every state of the
scheme is already constrained. Check the states it sums.",
    E0705 "LINEAR equation not linear" =>
"An equation of a LINEAR block is not linear in the states (a product of
states, a state inside exp). Use NONLINEAR, or rewrite the equation.",
    E0706 "equation count differs from state count" =>
"A LINEAR or NONLINEAR block must have as many `~` equations as unknown
STATEs (CONSERVE counts as one). Add or remove equations so they match.",
    E0707 "bad TABLE" =>
"A TABLE needs a FUNCTION or PROCEDURE of exactly one argument, `FROM lo
TO hi WITH n` with n at least 1, and DEPEND on constants.",
    E0708 "statement the method cannot solve" =>
"The method cannot integrate this statement (e.g. `cnexp` needs `x' = a +
b*x`). Use derivimplicit or rewrite the equation.",
    E0801 "mechanism does not compile" =>
"A mechanism the run uses has errors; they follow this line. Fix them
(`nmc check FILE.mod`).",
    E0802 "internal JIT error" =>
"Cranelift could not compile a kernel: a bug in nmc's code generator.
Please report it with the .mod file.",
    E0803 "unknown mechanism" =>
"Neither NEURON's built-ins nor the mechanism folders declare the
mechanism the network names. Check the name (SUFFIX or POINT_PROCESS) and
the mechanisms folder.",
    E0804 "longitudinal diffusion between segments" =>
"The mechanism diffuses a STATE along the cell (LONGITUDINAL_DIFFUSION in
its KINETIC block), and a cell holds it in neighbouring segments: a
section with more than one segment, or a parent (or grandparent) section
with the mechanism too. NEURON couples those segments by a diffusion
flux; nmc solves each segment on its own and would give different
results, so it refuses the run. One segment per holding section, with no
holding neighbour, is exact (NEURON couples nothing then).",
    N0801 "a user file replaces a built-in" =>
"A .mod file in the mechanisms folder declares the name of one of NEURON's
built-in mechanisms (hh, pas, Exp2Syn...); as with nrnivmodl, the file's
version is used.",
    N0802 "a NEURON VecStim file is replaced by nmc's" =>
"The mechanisms folder holds a VecStim written for NEURON (with C code in
VERBATIM blocks that nmc does not compile). nmc plays spike trains into
virtual cells with its own built-in VecStim, which delivers them at the
same times; the file is left alone and nothing needs fixing.",
    W0201 "declared but never used" =>
"A PARAMETER, ASSIGNED or LOCAL is never read. Remove it, or check for a
misspelt use elsewhere.",
    W0208 "COMPARTMENT of a name that is not a STATE" =>
"A COMPARTMENT statement lists a name that is not a STATE (undeclared, or a
CONSTANT). NEURON's translator gives volumes only to the STATEs of the list
and passes over the other names; nmc does the same and says so. Remove the
name or declare it as a STATE.",
    W0202 "RANGE/GLOBAL of an undeclared name" =>
"The NEURON block lists a name in RANGE or GLOBAL that is declared
nowhere (its declaration was deleted or misspelt).",
    W0203 "a STATE that never changes" =>
"A STATE has no equation: nothing integrates it. Add its equation or make
it a PARAMETER/ASSIGNED.",
    W0204 "RANGE PARAMETER assigned" =>
"A RANGE PARAMETER is changed in BREAKPOINT or a similar block. NEURON
allows it, but such a variable should be ASSIGNED.",
    W0205 "GLOBAL PARAMETER assigned" =>
"A PARAMETER that is not in RANGE is one value shared by every instance;
changing it in BREAKPOINT changes it for all. nmc compiles it as NEURON
does. List it in RANGE or make it ASSIGNED if each instance needs its own.",
    W0206 "`t` declared (nocmodl rejects it)" =>
"The file declares `t` in PARAMETER, ASSIGNED, STATE or CONSTANT. `t` is
NEURON's time, which NEURON declares itself; nocmodl refuses the file
(\"multiple uses for same variable\"). nmc still reads `t` as the time.
Remove the declaration so that NEURON accepts the file too.",
    W0207 "`x0` of a STATE `x` not a PARAMETER (nocmodl rejects it)" =>
"For every STATE `x`, NEURON declares a PARAMETER `x0`, the value `x`
starts from when INITIAL does not set it. A file that declares `x0` in
ASSIGNED (or anything but PARAMETER) is refused by nocmodl (\"can't be
declared a parameter by default\"). nmc keeps the file's declaration.
Rename the variable, or declare it in PARAMETER.",
    W0501 "unit mismatch" =>
"The two sides of an assignment or sum have different dimensions. The
help names the missing factor. Fix the formula, give constants units, or
wrap empirical formulas in UNITSOFF ... UNITSON.",
    W0502 "unit scale differs" =>
"Both sides have the same dimension but different scales (the factor is
shown, e.g. 1000 between mV and V). Multiply by the factor or change the
declared unit.",
    W0503 "unknown unit" =>
"A unit in a declaration cannot be understood, so it is not checked.
Correct the spelling or use a unit nmc knows.",
    W0601 "CONSTRUCTOR/DESTRUCTOR ignored" =>
"nmc ignores CONSTRUCTOR and DESTRUCTOR bodies (they hold C code in
NEURON's mechanisms).",
    W0602 "scalar STATE in an indexed COMPARTMENT" =>
"A COMPARTMENT statement with an index lists a STATE that is not an array;
the volume is applied as if not indexed.",
    W0701 "cnexp impossible" =>
"`cnexp` needs each derivative to be linear in its own state. Like NEURON,
nmc falls back to derivimplicit for this block; write METHOD derivimplicit
to say so.",
    W0801 "unusable file in the mechanisms folder" =>
"A .mod file the run does not use cannot be read or compiled; it is
ignored. Fix or remove it.",
    W0802 "file declares no mechanism" =>
"A .mod file in the mechanisms folder has no SUFFIX, POINT_PROCESS or
ARTIFICIAL_CELL; it is ignored (it may be an INCLUDE file).",
    E1001 "NDL file cannot be read" =>
"The .ndl file does not exist or cannot be opened. Check the path.",
    E1002 "mechanisms folder cannot be read" =>
"The folder named by `mechanisms = \"...\"` does not exist or cannot be
listed. The path is relative to the .ndl file.",
    E1003 "spike-time file unreadable" =>
"A file of spike times cannot be read or holds something other than
numbers.",
    E1004 "mechanism file has errors" =>
"A mechanism the network uses is in a .mod file with errors. Run `nmc
check` on the file.",
    E1005 "used file unreadable or not only cell types" =>
"A file named by `use` cannot be read, or defines more than cell types
(only `cell` definitions may be shared).",
    E1006 "positions file unreadable" =>
"A positions file cannot be read or is malformed (three numbers a line).",
    E1007 "SONATA spike file unreadable" =>
"A SONATA spike file named as an input cannot be read
(`/spikes/<population>/timestamps` and `node_ids`).",
    E1008 "`use` cycle" =>
"Files named by `use` form a cycle; each file and line is named. Remove
one `use`.",
    E1009 "biophysics file unreadable or unusable" =>
"The fit file named by a cell's `biophysics from \"fit.json\"` cannot be
read, is not JSON, or is not an Allen perisomatic fit nmc can apply
(`passive` with `ra`, `cm` per section type and `e_pas`; `genome` entries
naming a mechanism and its range variable; `conditions.erev`). The
message names the entry; fix the file or write the biophysics as `insert`
blocks per section type.",
    E1101 "NDL syntax error" =>
"The parser met a token it did not expect; the message says what it
expected. Common causes: a missing `;` or `}`, a unit written without its
number.",
    E1102 "unclosed `{`" =>
"A block is missing its `}`. Add it where the block should end.",
    E1103 "unknown statement" =>
"A word in statement position is not an NDL keyword. The help suggests the
nearest keyword.",
    E1104 "nesting beyond the limit" =>
"Brackets, braces or signs are nested beyond the parser's limit (kept
bounded for machine-generated files). Simplify the expression.",
    E1199 "internal NDL parser error" =>
"The NDL parser reached a state it should not: a bug in nmc. Please report
it with the file that triggers it.",
    E1201 "defined twice" =>
"Two definitions (cells, populations, reports, outputs) have one name, or
two outputs would write the same file. Rename one.",
    E1202 "unknown mechanism" =>
"The mechanism is neither a NEURON built-in nor declared by a .mod file of
the `mechanisms` folder. The help suggests similar names.",
    E1203 "unknown parameter of a mechanism" =>
"The mechanism has no parameter of that name; the help lists the ones it
has (RANGE PARAMETERs of the .mod file).",
    E1204 "unknown cell type, population, input or synapse" =>
"A name refers to a cell type, population, input or synapse that is not
defined in the file (or in the files it `use`s). Check the spelling; the
help lists the defined names.",
    E1205 "unknown section" =>
"The cells of the population have no section of that name (a site such as
`dend(0.5)` in a connection, stimulus or report). Check the spelling
against the cell type's `section` definitions.",
    E1206 "wrong kind of mechanism" =>
"A point process is inserted like a density mechanism, a density
mechanism is used as a synapse, or a synapse has no NET_RECEIVE. Use a
mechanism of the kind the statement needs.",
    E1207 "unknown setting" =>
"A block has no setting of that name (or a connection rule is unknown).
The help lists the valid ones.",
    E1208 "something required is missing" =>
"A definition lacks something it needs: the `mechanisms` folder, a
connection's synapse, weight or delay, a cell's sections, a Poisson
input's rate.",
    E1209 "unknown report variable" =>
"A report names a variable the mechanism or section does not have. Use
`v` for the membrane potential, or a RANGE variable of an inserted
mechanism.",
    E1210 "variable cannot be set" =>
"GLOBALs, ASSIGNED and STATE variables of a mechanism cannot be set per
cell; only RANGE PARAMETERs can.",
    E1211 "unknown variable or function in a formula" =>
"A formula (for weights, delays, probabilities) names a variable or
function NDL does not know, or calls a function with the wrong number of
arguments.",
    E1212 "bad arguments of a call" =>
"A call such as `lognormal(...)`, `cuboid(...)` or a connection rule has
an unknown, repeated, surplus or missing argument.",
    E1213 "placement finds no segment" =>
"A connection's `on = random(...)` asks for segments of section types and
a path distance range that no segment of the target cell reaches (BMTK
would silently make no synapse). Widen the distance range, name other
section types, or check the morphology.",
    E1301 "unit of the wrong kind" =>
"The value has a unit of another dimension than the setting needs (mV
where ms is expected). The caret is on the unit.",
    E1302 "number without a unit" =>
"The setting needs a unit (e.g. `dt = 0.025 ms`). Write the unit after
the number.",
    E1303 "unknown unit" =>
"The unit is not one NDL knows. Check its spelling (`um`, `mV`, `ms`,
`nS`, `S/cm2`...).",
    E1304 "value out of range" =>
"The value is outside what the setting accepts: x outside [0, 1], a
negative delay or rate, dt <= 0, a population or index too large.",
    E1305 "wrong kind of value" =>
"A name where a number is needed, a number where a site is needed, and
so on; the message says what the setting takes.",
    E1306 "more than the machine's memory" =>
"The cells, connections, spikes, steps or reports would need more memory
than the machine has (an estimate checked before allocating). Reduce the
network or the recordings.",
    E1401 "section attached twice" =>
"A section is connected to two parents, but each section has exactly one
parent. Remove one of the `connect` statements.",
    E1402 "sections form a loop" =>
"A section is its own ancestor. The sections of a cell form a tree.",
    E1403 "sections not connected to the root" =>
"Some sections have no parent, so the cell falls apart. Connect every
section to the tree.",
    E1404 "child attached by its wrong end" =>
"A section attaches to its parent by its 0 end (`dend(0)` to
`soma(1)`).",
    E1501 "SONATA file unreadable" =>
"A config, node, edge, type table or input file of the SONATA network
cannot be read. The message carries the path and reason.",
    E1502 "value the SONATA reader cannot map" =>
"A file holds a value nmc cannot map (names the file, row and value): a
missing column, an unknown model type, a malformed config entry.",
    E1503 "component folder missing" =>
"The circuit's templates_dir or mechanisms_dir does not exist. Point nmc
at them with `--templates DIR --mechanisms DIR`.",
    E1504 "cell template cannot be used" =>
"A cell template (hoc or NDL) the network uses has errors; they follow.",
    E1505 "cannot write the SONATA output" =>
"A folder or file of `nmc build`'s output cannot be written; the path and
the system's reason are shown.",
    E1506 "value SONATA cannot hold" =>
"The network holds something a SONATA file cannot express (names the
population, row and value), or a name that cannot be a file name.",
    E1507 "stimulus input cannot be used" =>
"A current clamp's waveform file (`csv`: a header naming the timestamps
and amplitudes columns, two or more rows at one constant interval from a
non-negative onset; `nwb`: `/epochs/<sweep>/stimulus/timeseries` with
`data` and `starting_time` carrying `rate`) or a `syn_activity` input
(`precell_filter` an object, `timestamps` non-decreasing numbers) is
malformed, or asks for something BMTK would get wrong (a CSV onset that
is not one interval and not whole ms, which BMTK truncates). The message
names the file, row or key.",
    N1501 "mechanism files used" =>
"Lists the .mod files the network's mechanisms were compiled from, in the
order NEURON loads them (written to log.txt).",
    W1501 "something BMTK ignores or a likely slip" =>
"The SONATA network holds something BMTK ignores (an input whose node set
selects nobody, edges no input reaches) or a likely builder slip (a
permuted one-to-one map). nmc runs it as BMTK would.",
    W1505 "report not written to the config" =>
"A report of the NDL file cannot be expressed in the simulation config
nmc build writes; the reason is given.",
    W1506 "no single dL gives every nseg" =>
"BMTK derives nseg from one dL; no dL reproduces the NDL cells' nseg, so
BMTK and nmc would discretise differently.",
    W1507 "a mechanism file reuses a NEURON built-in name" =>
"`nmc build` copies the network's .mod files into the built folder for
nrnivmodl, except those that declare a name NEURON has built in (Exp2Syn,
IClamp...): nrnivmodl would clash with the built-in. BMTK + NEURON then
run NEURON's own version where nmc runs the file. Rename the mechanism
(its SUFFIX or POINT_PROCESS) so both simulators run the same code.",
    W1508 "BMTK reshapes a current-clamp waveform" =>
"BMTK changes a CSV current clamp before NEURON plays it: a first onset
that is not one interval from 0 gets the samples repeated on a finer,
whole-ms grid from 0; a waveform that does not end at 0 nA is stopped one
interval after its last onset. nmc does the same and says so.",
    E1601 "hoc: unreadable character, number or string" =>
"The hoc lexer met an unexpected character, a malformed number, an
unclosed string or comment.",
    E1602 "hoc syntax error" =>
"The hoc parser met a token it did not expect (the message says what it
expected).",
    E1603 "hoc: unclosed `{` or template" =>
"A `{` block or a `begintemplate` is never closed: the file ends inside
it. Add the missing `}` or `endtemplate Name`.",
    E1604 "hoc: endtemplate names another template" =>
"`endtemplate Name` must name the template that the matching
`begintemplate` opened. Correct the name after `endtemplate`.",
    W1604 "error in an unused template" =>
"An error in a hoc template the network does not use is reported as a
warning: it does not stop the run.",
    E1605 "hoc: unknown mechanism or one that cannot be inserted" =>
"`insert` names an unknown mechanism, or one that is not a density
mechanism (point processes are not inserted).",
    E1606 "hoc: parameter of a mechanism cannot be set" =>
"The parameter is unknown, GLOBAL (shared by every cell) or not settable
per section.",
    E1607 "hoc: value out of range" =>
"An index, a position along a section (outside 0 to 1), an array size or
`nseg` is out of range. The message gives the allowed range.",
    E1608 "hoc: mechanism not inserted" =>
"A mechanism's parameter is set in a section the mechanism is not
inserted in. Insert it first.",
    E1609 "hoc: ion variable before it is set" =>
"A variable is read before the template sets it (its start value is
computed by NEURON at run time).",
    E1610 "hoc: not supported in nmc cell templates" =>
"The construct has no meaning in nmc's cell templates; the message says
what to do instead.",
    E1611 "hoc: undefined variable, function or section" =>
"A variable, function or section name is not defined in the template
(nor built into hoc). Check the spelling, or create the section first.",
    E1612 "hoc: no section accessed" =>
"The statement needs a currently accessed section; use `access` or a
section prefix.",
    E1613 "hoc: step or call-depth limit" =>
"The template ran too many statements or recursed too deeply (an endless
loop or recursion).",
    E1614 "hoc: wrong kind or number of values" =>
"An argument or value has the wrong kind (a number where a section list
is needed...) or a function gets the wrong number of arguments.",
    E1615 "hoc: bad section pattern" =>
"A `forsec`, `ifsec` or `issection` pattern is not a regular expression
nmc can read. Check its brackets and escapes.",
    E1616 "hoc: sections form a loop or are disconnected" =>
"`connect` makes a loop of sections, or some sections are not connected
to the root section. The sections of a cell must form one tree.",
    E1617 "hoc: no such template" =>
"The .hoc file defines no template of the name the network asks for
(`hoc:Name` in the node types). Check the name and templates_dir.",
    E1618 "hoc file unreadable" =>
"A .hoc file of the network's templates folder does not exist or cannot
be read. The system's reason is shown.",
    E1619 "hoc: arithmetic error" =>
"The template divides by zero or calls a function outside its domain
(`log` of a negative number...). Check the values it computes.",
    E1620 "hoc: value varies along a section" =>
"A value nmc needs constant along a section differs between its
segments.",
    W1601 "hoc: statement outside a template" =>
"Statements outside `begintemplate` ... `endtemplate` are not run when nmc
reads a template file (other than `load_file`): only templates are used.",
    W1602 "hoc: diameter rounded to single precision" =>
"`define_shape()` rounds `diam` to single precision, as NEURON does; nmc
does the same so that areas match NEURON's. A note, not a problem.",
    W1603 "hoc: new variable, not a range variable" =>
"An assignment creates a new template variable whose name looks like a
misspelt range variable.",
    W1001 "no run block" =>
"Without `run { ... }` NEURON's defaults are used (dt 0.025 ms, tstop 5
ms, 6.3 °C). Add a run block to choose.",
    W1002 "no population" =>
"The file defines no population, so there is nothing to simulate. Add
`population Name = N of CellType`.",
    W1101 "selects no cell" =>
"A rule or node set selects no cell; it has no effect. Check the
selector.",
    W1102 "one_to_one map leaves targets out" =>
"A `one_to_one` rule leaves targets without a source or gives one more
than one (the populations differ in size, or the offset is off).",
    W1205 "section type absent from the morphology" =>
"A `section dend { ... }` block of a cell read from a morphology file
sets a section type the file has none of, so it sets nothing. Remove the
block or check the morphology.",
    W1302 "unit where the mechanism declares none" =>
"The mechanism declares no unit for the setting, so the unit given cannot
be checked; the number is used as written.",
    E1701 "SWC: unreadable line or empty file" =>
"An SWC line must be seven numbers: id, type, x, y, z, radius, parent id
(`#` starts a comment). The line shown is not, or the file has no points.",
    E1702 "SWC: unknown point type" =>
"nmc reads the SWC types 1 (soma), 2 (axon), 3 (basal dendrite) and 4
(apical dendrite), as NEURON's Import3d names sections. Change the type
column of the point shown.",
    E1703 "SWC: duplicate point id" =>
"Two points have the same id, so their children's parent is ambiguous.
Renumber one of them.",
    E1704 "SWC: orphan point" =>
"The point's parent id names no point of the file (and is not -1, the
root's). Fix the parent column or add the missing point.",
    E1705 "SWC: cycle" =>
"Following parents from the point shown comes back to it: the points do
not form a tree. Fix the parent ids on the cycle.",
    E1706 "SWC: parent after its child" =>
"NEURON's Import3d requires each point's parent to be listed before it.
Reorder the file (parents first).",
    E1707 "SWC: more than one root" =>
"More than one point has parent -1, so the file describes several
disconnected trees. Connect them or split the file.",
    E1708 "SWC: soma of zero size" =>
"The soma's points give it no area (radius 0, or a length and diameter of
0). Fix the soma's radii or coordinates.",
    E1709 "SWC file unreadable" =>
"The morphology file cannot be read (it is missing, or permissions
forbid it). The reason is shown; check `morphologies_dir` and the node's
`morphology` column.",
    E1801 "the network cannot be simulated" =>
"The engine refused the network `nmc run` (or a program through the
Python module) loaded: the reason is shown, e.g. a run whose steps or
recorded traces would not fit in memory.",
    E1802 "the run stopped early" =>
"A run failed while simulating (a numerical fault such as a membrane
potential that became NaN or infinite, naming the cell, section and time;
or an output that could not be kept); the reason is shown. The results up
to then are not returned, and `nmc run` writes no output files, so that
nothing of a failed run looks like a complete one.",
    E1803 "the run was interrupted" =>
"The calling program asked the run to stop (Ctrl-C in Python raises
KeyboardInterrupt). No results are returned.",
    E1804 "a run's output cannot be written" =>
"A run started from a program could not write a file it was asked to
write (spikes, reports or the log); the reason is shown.",
    E1901 "spike or node file unreadable" =>
"The spike file is not a SONATA spike file (`/spikes/<population>/timestamps`
and `node_ids`) or cannot be read.",
    E1902 "no such node column" =>
"No node has the column given to `--group-by`. The message lists the
columns there are (`pop_name`, `model_template`, `population`...).",
    E1903 "cannot write an analysis output" =>
"The output folder or one of its files cannot be written (permissions,
a full disk, a file where a folder should be). The reason is shown.",
    E1904 "option out of range" =>
"An option of `nmc analyze` or `nmc compare` is out of range (a bin width
of 0, a window whose start is not before its stop...).",
    E1905 "rates would not fit in memory" =>
"The spikes span a window so long (often one stray huge time) that the
binned rates would not fit in memory. Check the spike times or use a
larger `--bin`.",
}
