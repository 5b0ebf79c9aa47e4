//! Backup bundles: format, encryption, restore planning.
