-- Annual reviews operators asked for: one row per as_of, whose review_id is derived from it
-- (contracts.reviews.review_id_of). The row and the review's requested event are written in one
-- transaction, only when the row is new: asking again, even at the same instant, names the same review.
CREATE TABLE reviews (
    review_id    uuid PRIMARY KEY,
    as_of        date NOT NULL UNIQUE,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
