with

mentions_in_context as (
    select * from {{ ref('int_entity_mentions_in_context') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

sentence_entities as (
    select distinct
        doc_id,
        sentence_id,
        entity_id
    from mentions_in_context
    where sentence_id is not null
),

document_entities as (
    select distinct
        doc_id,
        story_id,
        entity_id
    from mentions_in_context
),

sentence_pairs as (
    select
        left_side.entity_id as entity_id_a,
        right_side.entity_id as entity_id_b,
        count(*) as n_sentences
    from sentence_entities as left_side
    inner join sentence_entities as right_side
        on
            left_side.sentence_id = right_side.sentence_id
            and left_side.entity_id < right_side.entity_id
    group by left_side.entity_id, right_side.entity_id
),

document_pairs as (
    select
        left_side.entity_id as entity_id_a,
        right_side.entity_id as entity_id_b,
        count(*) as n_documents,
        count(distinct left_side.story_id) as n_stories
    from document_entities as left_side
    inner join document_entities as right_side
        on
            left_side.doc_id = right_side.doc_id
            and left_side.entity_id < right_side.entity_id
    group by left_side.entity_id, right_side.entity_id
),

final as (
    select
        document_pairs.entity_id_a || ':' || document_pairs.entity_id_b as pair_id,
        document_pairs.entity_id_a,
        entity_a.entity_name as entity_name_a,
        document_pairs.entity_id_b,
        entity_b.entity_name as entity_name_b,
        coalesce(sentence_pairs.n_sentences, 0) as n_sentences,
        document_pairs.n_documents,
        document_pairs.n_stories
    from document_pairs
    left join sentence_pairs
        on
            document_pairs.entity_id_a = sentence_pairs.entity_id_a
            and document_pairs.entity_id_b = sentence_pairs.entity_id_b
    inner join entities as entity_a on document_pairs.entity_id_a = entity_a.entity_id
    inner join entities as entity_b on document_pairs.entity_id_b = entity_b.entity_id
)

select * from final
