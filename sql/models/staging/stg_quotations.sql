with

source as (
    select * from {{ source('core', 'quotations') }}
),

final as (
    select
        quote_id,
        doc_id,
        sentence_index,
        start_char,
        end_char,
        quote_text,
        kind as quote_kind,
        cue_text,
        speaker_text,
        speaker_start_char,
        speaker_end_char,
        speaker_entity_id,
        speaker_resolution,
        speaker_name,
        cast(sentiment as double) as quote_sentiment
    from source
)

select * from final
