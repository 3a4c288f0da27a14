/// Every size at which the drawing changes how it is laid out, in one place, with the
/// measurement behind it (Graphviz 2.42.2 on the project machine, 2 cores; the random
/// DAGs and shared-input chains of `bench/render`, whose README has the tables).
public enum DrawingLimits {
    /// Past this many graph nodes dot gets its fast attributes: `mclimit=0.05 nslimit=1
    /// nslimit1=1 remincross=false searchsize=10`, and tighter gaps. They trade a little
    /// tidiness for orders of magnitude: 300 ops with every gradient, 23 s -> 2.4 s
    /// (`shared/notes/graphviz-layout.md`); below it the defaults are fast anyway.
    public static let fastLayoutAbove = 150

    /// Past this many graph nodes the drawing is a map, not a page (`largeLayout`):
    /// - edge values and gradients are `xlabel`s placed after layout, not `label`s laid
    ///   out as nodes. Up to here `label` keeps every text clear of boxes and arrowheads at
    ///   a small cost (400 random scalar ops with every gradient: 0.19 s with `xlabel`,
    ///   0.33 s with `label`); past it label nodes multiply the layout's size, and dot
    ///   fails ("trouble in init_rank") on labels of `constraint=false` edges;
    /// - gradient edges stop constraining the ranks (`constraint=false`): a 1,000-op
    ///   layout 6.1 s -> 2.3 s, every gradient still drawn (commit 8fc2e5c);
    /// - edges are straight lines (`splines=line`): spline routing is the other large cost
    ///   (1,000 ops, forward edges: 3.75 s with lines).
    /// dot places `xlabel`s over nodes, arrowheads and each other (70 chains of 8 ops side by
    /// side: 727 overlaps, LayeredLayoutTests.testWideGraphsUnderAuto), so past this size
    /// `auto` takes the layered layout, which places every label beside its edge; dot
    /// draws it so only when asked (`--layout dot`).
    public static let largeLayoutAbove = 600

    /// Past this many drawn nodes the command says it is laying out, and how long it took.
    public static let progressAbove = 300

    /// The default of `RenderOptions.maxNodes`: past this many nodes to lay out (every
    /// one: Σ nodes, references, ports and outputs too; a graph of 241 nodes whose 120
    /// steps each read every earlier value lays out 7,367), the drawing keeps the part
    /// nearest the outputs and folds the rest into one summary node. The layered layout draws 10,000 ops (13,617 nodes) in ~5 s of CPU and
    /// 100,000 ops in ~50 s (bench/render/README.md); past 20,000 nodes the SVG is over
    /// 60 MB, more than a browser opens comfortably. (With dot alone it was 1,500: 3,000
    /// ops took ~60 s.)
    public static let maxNodes = 20_000

    /// A graph of up to this many nodes (or `maxNodes`, if more) is planned unfolded first,
    /// so the folding message can say which `--max-nodes` draws all of it; past it the graph
    /// is over any limit it can be under, and planning it whole would be wasted time.
    public static let unfoldedPlanCheckedUpTo = 50_000

    /// `auto` lays out with dot up to this much work: the nodes plus a virtual node for
    /// every rank an edge crosses (`LayeredLayout.dotWork`), past it with the layered
    /// layout. dot's CPU time on the random DAGs of bench/render, whole process: 600 ops
    /// (work under 3,100) 0.52 s, 1,000 ops (4,773) 1.65 s, 1,500 ops 5.4 s; the layered
    /// layout 0.25 / 0.37 / 0.59 s. The budget is work, not a clock, so the same model
    /// always gets the same drawing; samples, references and the shared-input chains up
    /// to 620 ops stay with dot (same bytes as before).
    public static let dotWork = 4_000

    /// `auto` lays out again with the layered layout, which wraps a long strip into rows
    /// (`LayeredLayout.Spacing.wrapLength`), a drawing of dot's longer than this along its
    /// ranks and more than `stripAspect` times as long as it is thick: the 12-step RNN of
    /// bench/render, 15,857 × 485 pt from dot, is 4,225 × 1,473 pt in rows; the LSTM sample
    /// left to right 8,300 × 789 pt, in rows 3,405 × 1,495. Every sample and reference
    /// drawing but the LSTM's left to right is under 3,100 pt long, and stays dot's.
    public static let stripLength = 6_000.0
    public static let stripAspect = 4.0

    /// Past this many nodes the layered layout says what it is doing, phase by phase
    /// (each takes more than a second).
    public static let layeredProgressAbove = 3_000

    /// When folding, the kept part is laid out with room to spare: whole levels of
    /// ancestors are kept while they stay under this share of `maxNodes` (the Σ nodes,
    /// references and edges they bring come on top).
    public static let foldedShare = (numerator: 3, denominator: 4)

    /// A use that spans more than this many ranks may be drawn by reference (a small copy
    /// of the value beside its consumer)...
    public static let referenceSpan = 3
    /// ... when the long uses of its value span this many ranks in all. dot turns every
    /// rank an edge crosses into a virtual node (two with a label, and the gradient edge
    /// doubles it), so one value read all along a chain (weights shared across the steps
    /// of an unrolled RNN, `v_i = v_(i-1) * x`) costs O(n²) of them: 300 ops gave dot
    /// 364k virtual nodes and took minutes. By reference it is O(n): 0.3 s, 620 ops 0.5 s
    /// (commit 5d58ffb). With 48 the LSTM sample's weights W and b, read at each of its
    /// three steps, were drawn as long edges: bundles down the whole drawing that pulled
    /// the steps into a staircase (dot, top to bottom: 2,530 × 3,217 pt; with 16 the steps
    /// stand in one column, 1,842 × 3,284 pt, and each step reads W and b from a copy
    /// beside it). Of the samples and references only the LSTM has uses this long.
    public static let referenceBudget = 16

    /// In a drawing of more than `fastLayoutAbove` graph nodes, a parameter read by this
    /// many ops or more is drawn with its first use, its other uses from copies beside
    /// them. micrograd's MLP(3, [4, 4, 1]) run on 4 examples (bench/render/gen_mlp.py)
    /// reads each of its 41 weights once per example, at the same ranks: drawn directly,
    /// bundles of weight edges ran across the whole drawing and pulled the four examples
    /// into one tangle (dot, 4,428 × 4,918 pt); by copies the examples are four bands one
    /// under the other (5,066 × 4,869 pt) and every weight edge stays in its band. Samples
    /// and references are under the size.
    public static let sharedUses = 4

    /// dot's `nslimit` in a fast layout with references: the chain of a 300-op
    /// shared-input chain drifts into a staircase with 1 (5,600 pt tall), is a straight
    /// 260 pt with 5 or more, for 0.1 s more (commit 5d58ffb). Without references, or past
    /// `largeLayoutAbove` (straight edges, gradient edges out of the ranking), 1.
    public static let referenceXPositionLimit = 10

    /// Σ equations list every term up to this many terms; past it the first
    /// `sumTermsShortened` and how many more.
    public static let sumTermsShown = 5
    public static let sumTermsShortened = 3
}
