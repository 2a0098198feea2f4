//! rest_dump
