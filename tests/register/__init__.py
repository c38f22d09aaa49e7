"""Unit-level tests of toolkit.register (a package, so that test files of the same name may sit in two folders)."""
