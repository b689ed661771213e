//! STUB (being written): the CostModel trait targets implement, and a default model.
