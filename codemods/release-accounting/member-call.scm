; <object>-><method>(...) or <object>.<method>(...): a storage method called through a pointer or
; reference, `<map>.erase(...)` / `<map>.clear()` on a member, `<holder>-><data>.clear()` (every
; piece dropped past the storage's accounting): shape.ts tells them apart by the object's kind
(call_expression
  function: (field_expression
    argument: (_) @object
    field: (field_identifier) @fn)
  arguments: (argument_list) @args) @call
