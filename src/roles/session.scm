; `<x>->disk_io_constructor = [...](...) { ... }`: the lambda that creates the disk I/O.
(assignment_expression
  left: (field_expression field: (field_identifier) @field)
  right: (lambda_expression) @lambda
  (#eq? @field "disk_io_constructor")) @assign
