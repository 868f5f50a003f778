"""The write side: partners' and administrators' changes, reviewed, versioned and recorded."""
