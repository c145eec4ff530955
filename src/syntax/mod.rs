//! Go syntax helpers shared by the rules: walking the tree-sitter tree, naming identifiers, showing
//! code on one line, reading the module's go version. Nothing here knows about a particular rule, so
//! a rule never has to import a sibling rule to reuse one.

pub mod cold;
pub mod flow;
pub mod loops;
pub mod names;
pub mod text;
pub mod version;
pub mod walk;
pub mod writes;
