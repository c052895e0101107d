//! The message envelope: a client's body, unchanged, with the metadata that travels with it.
