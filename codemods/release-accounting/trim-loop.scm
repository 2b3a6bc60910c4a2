; an LRU eviction loop: while (<count> ... <limit>) { ... for (... : <lru>) { ... } ... <remove>(<victim>); }
; (shape.ts finds the `<remove>(<victim>);` statement after the for loop: in the pattern it would
; cost tree-sitter's analysis twice what the rest does)
(while_statement
  condition: (condition_clause) @condition
  body: (compound_statement
    (for_range_loop right: (identifier) @lru) @for) @body) @loop
