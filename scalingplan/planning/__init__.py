"""Planning on top of the laws: allocations, comparisons, assessments, data limits, inference."""
