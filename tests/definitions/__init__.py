"""Unit-level tests of toolkit.definitions (a package, so that test files of the same name may sit in two folders)."""
