; <object>-><method>(...) or <object>.<method>(...): a method called through a pointer or a
; reference, whatever its arguments; the transforms narrow it (the object's kind, the operator,
; the method's name, the arguments): a storage method called through the slot's pointer
; (eviction), `<map>.erase(...)` / `<holder>-><data>.clear()` (release-accounting), a hasher's
; `update({<pointer>, <length>})` (v2-block-hash)
(call_expression
  function: (field_expression
    argument: (_) @object
    field: (field_identifier) @fn)
  arguments: (argument_list) @args) @call
