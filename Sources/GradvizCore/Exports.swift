// Every layer quotes text from a model the same way (`quoted`, `visibleText`): the code
// lives in UserText, below GradvizCore and the Graphviz layer, and comes with GradvizCore.
@_exported import UserText
