package main

// version is written into the header of every generated file, so a change of
// the generator shows up as drift in `make checkgenerate`.
const version = "v0.3.0"
