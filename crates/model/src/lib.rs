//! Pure domain of Tocsin.
