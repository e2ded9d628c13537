//! Azure collection (issue 4): Resource Graph and Resource Manager.
