; A class that implements libtorrent's disk_interface and buffer_allocator_interface.
[
  (struct_specifier name: (_) @name (base_class_clause) @bases body: (field_declaration_list) @body)
  (class_specifier name: (_) @name (base_class_clause) @bases body: (field_declaration_list) @body)
] @class
