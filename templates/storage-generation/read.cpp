{{generation}} = {{current}}({{storage}});
