"""The rules planner's reading, by role: the words it knows (words), the forms of time (times), the forms of
an edit (edit_forms), a description laid on the timeline (description) and a follow-up edit of a plan (edits)."""
